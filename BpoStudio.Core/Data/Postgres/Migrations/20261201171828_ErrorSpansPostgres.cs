using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ErrorSpansPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "Weight",
                table: "DatasetVersionItems",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "CriticalErrorWeight",
                table: "Datasets",
                type: "double precision",
                nullable: false,
                defaultValue: 2.0);

            migrationBuilder.AddColumn<double>(
                name: "MajorErrorWeight",
                table: "Datasets",
                type: "double precision",
                nullable: false,
                defaultValue: 1.0);

            migrationBuilder.AddColumn<double>(
                name: "MinorErrorWeight",
                table: "Datasets",
                type: "double precision",
                nullable: false,
                defaultValue: 0.5);

            migrationBuilder.CreateTable(
                name: "ErrorSpans",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DatasetId = table.Column<int>(type: "integer", nullable: false),
                    ResponseId = table.Column<long>(type: "bigint", nullable: false),
                    Start = table.Column<int>(type: "integer", nullable: false),
                    Length = table.Column<int>(type: "integer", nullable: false),
                    Text = table.Column<string>(type: "text", nullable: false),
                    Type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Severity = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Origin = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CarriedFromId = table.Column<long>(type: "bigint", nullable: true),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ChangedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ChangedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ErrorSpans", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ErrorSpans_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_ErrorSpans_ErrorSpans_CarriedFromId",
                        column: x => x.CarriedFromId,
                        principalTable: "ErrorSpans",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_ErrorSpans_Responses_ResponseId",
                        column: x => x.ResponseId,
                        principalTable: "Responses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ErrorSpans_CarriedFromId",
                table: "ErrorSpans",
                column: "CarriedFromId");

            migrationBuilder.CreateIndex(
                name: "IX_ErrorSpans_DatasetId_Status",
                table: "ErrorSpans",
                columns: new[] { "DatasetId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_ErrorSpans_ResponseId_Status",
                table: "ErrorSpans",
                columns: new[] { "ResponseId", "Status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ErrorSpans");

            migrationBuilder.DropColumn(
                name: "Weight",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "CriticalErrorWeight",
                table: "Datasets");

            migrationBuilder.DropColumn(
                name: "MajorErrorWeight",
                table: "Datasets");

            migrationBuilder.DropColumn(
                name: "MinorErrorWeight",
                table: "Datasets");
        }
    }
}
