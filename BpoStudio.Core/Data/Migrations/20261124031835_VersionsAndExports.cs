using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class VersionsAndExports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "SourceIdGenerated",
                table: "Samples",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "SourceOriginalPrompt",
                table: "Samples",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ResolvedBy",
                table: "Pairs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Error",
                table: "Exports",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OptionsJson",
                table: "Exports",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "PairsSkipped",
                table: "Exports",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "PairsWritten",
                table: "Exports",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "ZipPath",
                table: "Exports",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DeprecatedAt",
                table: "DatasetVersions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeprecatedBy",
                table: "DatasetVersions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeprecationReason",
                table: "DatasetVersions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ChosenEdited",
                table: "DatasetVersionItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "ChosenResponseId",
                table: "DatasetVersionItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "ImagePath",
                table: "DatasetVersionItems",
                type: "TEXT",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ImageProblem",
                table: "DatasetVersionItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "RejectedEdited",
                table: "DatasetVersionItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "RejectedResponseId",
                table: "DatasetVersionItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DatasetVersionItems_DatasetVersionId_SampleId_PairId",
                table: "DatasetVersionItems",
                columns: new[] { "DatasetVersionId", "SampleId", "PairId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DataProtectionKeys");

            migrationBuilder.DropIndex(
                name: "IX_DatasetVersionItems_DatasetVersionId_SampleId_PairId",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "SourceIdGenerated",
                table: "Samples");

            migrationBuilder.DropColumn(
                name: "SourceOriginalPrompt",
                table: "Samples");

            migrationBuilder.DropColumn(
                name: "ResolvedBy",
                table: "Pairs");

            migrationBuilder.DropColumn(
                name: "Error",
                table: "Exports");

            migrationBuilder.DropColumn(
                name: "OptionsJson",
                table: "Exports");

            migrationBuilder.DropColumn(
                name: "PairsSkipped",
                table: "Exports");

            migrationBuilder.DropColumn(
                name: "PairsWritten",
                table: "Exports");

            migrationBuilder.DropColumn(
                name: "ZipPath",
                table: "Exports");

            migrationBuilder.DropColumn(
                name: "DeprecatedAt",
                table: "DatasetVersions");

            migrationBuilder.DropColumn(
                name: "DeprecatedBy",
                table: "DatasetVersions");

            migrationBuilder.DropColumn(
                name: "DeprecationReason",
                table: "DatasetVersions");

            migrationBuilder.DropColumn(
                name: "ChosenEdited",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "ChosenResponseId",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "ImagePath",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "ImageProblem",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "RejectedEdited",
                table: "DatasetVersionItems");

            migrationBuilder.DropColumn(
                name: "RejectedResponseId",
                table: "DatasetVersionItems");
        }
    }
}
