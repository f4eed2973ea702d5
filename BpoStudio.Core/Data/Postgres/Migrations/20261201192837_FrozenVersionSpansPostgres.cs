using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class FrozenVersionSpansPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ErrorSpansJson",
                table: "DatasetVersionItems",
                type: "text",
                nullable: true);

            // Versions approved before spans were frozen exported the spans as they stood at export time; they keep
            // those of the upgrade from now on, in the format approvals freeze them in.
            // Frozen text (what FrozenSpans.Sql wrote when this migration was made), so a later change there cannot change it.
            migrationBuilder.Sql(""""
                UPDATE "DatasetVersionItems" SET "ErrorSpansJson" = (SELECT json_agg(json_build_object('start', e."Start", 'length', e."Length", 'text', e."Text", 'type', e."Type", 'severity', e."Severity" ) ORDER BY e."Start", e."Id")::text FROM "ErrorSpans" e WHERE e."ResponseId" = "DatasetVersionItems"."RejectedResponseId" AND e."Status" = 'Confirmed') WHERE 1 = 1 AND EXISTS (SELECT 1 FROM "ErrorSpans" e WHERE e."ResponseId" = "DatasetVersionItems"."RejectedResponseId" AND e."Status" = 'Confirmed')
                """");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ErrorSpansJson",
                table: "DatasetVersionItems");
        }
    }
}
