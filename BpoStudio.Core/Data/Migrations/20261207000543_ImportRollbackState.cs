using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ImportRollbackState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "RolledBackAt",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RolledBackBy",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceFile",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            // The file name of each earlier import (the path's last part, either separator), as its samples record it.
            migrationBuilder.Sql("""
                UPDATE "Jobs" SET "SourceFile" = (SELECT replace(p, rtrim(p, replace(p, '/', '')), '')
                    FROM (SELECT replace(json_extract("Jobs"."ParametersJson", '$.filePath'), '\', '/') AS p))
                WHERE "Kind" = 'Import';
                """);

            // A rollback the audit log recorded (dataset name / file, after the import finished) becomes the import's state. Frozen SQL.
            migrationBuilder.Sql("""
                UPDATE "Jobs" SET "RolledBackAt" = (SELECT MIN(a."At") FROM "AuditEntries" a JOIN "Datasets" d ON d."Id" = "Jobs"."DatasetId"
                    WHERE a."Action" = 'import.rollback' AND a."Subject" = d."Name" || ' / ' || "Jobs"."SourceFile" AND a."At" >= COALESCE("Jobs"."FinishedAt", "Jobs"."CreatedAt"))
                WHERE "Kind" = 'Import';
                UPDATE "Jobs" SET "RolledBackBy" = (SELECT MIN(a."UserName") FROM "AuditEntries" a WHERE a."Action" = 'import.rollback' AND a."At" = "Jobs"."RolledBackAt")
                WHERE "RolledBackAt" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RolledBackAt",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "RolledBackBy",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "SourceFile",
                table: "Jobs");
        }
    }
}
