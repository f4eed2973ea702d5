using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ExportStatusFromJob : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DeletedAt",
                table: "Exports",
                type: "TEXT",
                nullable: true);

            // An export's status, error and finish time are its job's from now on; only a deletion is the export's own.
            // Deleted exports keep when they were deleted (the audit entry's time where there is one). Frozen SQL.
            migrationBuilder.Sql("""
                UPDATE "Exports" SET "DeletedAt" = COALESCE(
                    (SELECT MAX(a."At") FROM "AuditEntries" a WHERE a."Action" = 'export.delete' AND a."Subject" = 'export ' || "Exports"."Id"),
                    "FinishedAt", "CreatedAt")
                WHERE "Status" = 'Deleted';
                """);

            // In place on SQLite too: EF's table rebuild would run outside the transaction.
            migrationBuilder.Sql("""ALTER TABLE "Exports" DROP COLUMN "Status";""");
            migrationBuilder.Sql("""ALTER TABLE "Exports" DROP COLUMN "Error";""");
            migrationBuilder.Sql("""ALTER TABLE "Exports" DROP COLUMN "FinishedAt";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(name: "Error", table: "Exports", type: "TEXT", nullable: true);
            migrationBuilder.AddColumn<string>(name: "Status", table: "Exports", type: "TEXT", maxLength: 16, nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<DateTime>(name: "FinishedAt", table: "Exports", type: "TEXT", nullable: true);
            migrationBuilder.Sql("""
                UPDATE "Exports" SET "Status" = CASE WHEN "DeletedAt" IS NOT NULL THEN 'Deleted' WHEN "ManifestJson" IS NOT NULL THEN 'Completed' ELSE 'Failed' END;
                """);
            migrationBuilder.DropColumn(name: "DeletedAt", table: "Exports");
        }
    }
}
