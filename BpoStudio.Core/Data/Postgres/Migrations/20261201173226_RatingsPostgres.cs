using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RatingsPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SourceExtraJson",
                table: "Samples",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RatingAspects",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DatasetId = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Min = table.Column<double>(type: "double precision", nullable: false),
                    Max = table.Column<double>(type: "double precision", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RatingAspects", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RatingAspects_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ResponseRatings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DatasetId = table.Column<int>(type: "integer", nullable: false),
                    ResponseId = table.Column<long>(type: "bigint", nullable: false),
                    Aspect = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Value = table.Column<double>(type: "double precision", nullable: true),
                    Raw = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Rationale = table.Column<string>(type: "text", nullable: true),
                    RatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    RatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ResponseRatings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ResponseRatings_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_ResponseRatings_Responses_ResponseId",
                        column: x => x.ResponseId,
                        principalTable: "Responses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RatingAspects_DatasetId_Name",
                table: "RatingAspects",
                columns: new[] { "DatasetId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ResponseRatings_DatasetId",
                table: "ResponseRatings",
                column: "DatasetId");

            migrationBuilder.CreateIndex(
                name: "IX_ResponseRatings_ResponseId_Aspect_Id",
                table: "ResponseRatings",
                columns: new[] { "ResponseId", "Aspect", "Id" });

            // Ratings imported before this table lived in the response's ExtraJson ({"ratings":{aspect: value}}): moved here, with their aspects.
            migrationBuilder.Sql("""
                INSERT INTO "RatingAspects" ("DatasetId", "Name", "Min", "Max", "CreatedAt", "CreatedBy")
                SELECT s."DatasetId", j.key, LEAST(1.0, MIN(j.value::text::double precision)), GREATEST(5.0, MAX(j.value::text::double precision)), now(), 'import'
                FROM "Responses" r JOIN "Samples" s ON s."Id" = r."SampleId" CROSS JOIN LATERAL jsonb_each(r."ExtraJson"::jsonb -> 'ratings') j
                WHERE r."ExtraJson" LIKE '{"ratings":%'
                GROUP BY s."DatasetId", j.key;
                INSERT INTO "ResponseRatings" ("DatasetId", "ResponseId", "Aspect", "Value", "Raw", "Rationale", "RatedBy", "RatedAt")
                SELECT s."DatasetId", r."Id", j.key, j.value::text::double precision, j.value::text, NULL, r."Method", r."CreatedAt"
                FROM "Responses" r JOIN "Samples" s ON s."Id" = r."SampleId" CROSS JOIN LATERAL jsonb_each(r."ExtraJson"::jsonb -> 'ratings') j
                WHERE r."ExtraJson" LIKE '{"ratings":%'
                ORDER BY r."Id";
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RatingAspects");

            migrationBuilder.DropTable(
                name: "ResponseRatings");

            migrationBuilder.DropColumn(
                name: "SourceExtraJson",
                table: "Samples");
        }
    }
}
