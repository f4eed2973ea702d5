using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ExportStatusFromJobPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DeletedAt",
                table: "Exports",
                type: "timestamp with time zone",
                nullable: true);

            // An export's status, error and finish time are its job's from now on; only a deletion is the export's own.
            // Deleted exports keep when they were deleted (the audit entry's time where there is one). Frozen SQL.
            migrationBuilder.Sql("""
                UPDATE "Exports" SET "DeletedAt" = COALESCE(
                    (SELECT MAX(a."At") FROM "AuditEntries" a WHERE a."Action" = 'export.delete' AND a."Subject" = 'export ' || "Exports"."Id"),
                    "FinishedAt", "CreatedAt")
                WHERE "Status" = 'Deleted';
                """);

            migrationBuilder.DropColumn(name: "Status", table: "Exports");
            migrationBuilder.DropColumn(name: "Error", table: "Exports");
            migrationBuilder.DropColumn(name: "FinishedAt", table: "Exports");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(name: "Error", table: "Exports", type: "text", nullable: true);
            migrationBuilder.AddColumn<string>(name: "Status", table: "Exports", type: "character varying(16)", maxLength: 16, nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<DateTime>(name: "FinishedAt", table: "Exports", type: "timestamp with time zone", nullable: true);
            migrationBuilder.Sql("""
                UPDATE "Exports" SET "Status" = CASE WHEN "DeletedAt" IS NOT NULL THEN 'Deleted' WHEN "ManifestJson" IS NOT NULL THEN 'Completed' ELSE 'Failed' END;
                """);
            migrationBuilder.DropColumn(name: "DeletedAt", table: "Exports");
        }
    }
}
