using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class Triage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BulkActionId",
                table: "ReviewEvents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PreviousAssigneeId",
                table: "ReviewEvents",
                type: "TEXT",
                maxLength: 450,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PreviousDecisionSource",
                table: "ReviewEvents",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ContentFingerprint",
                table: "Pairs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DecisionSource",
                table: "Pairs",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Person");

            migrationBuilder.AddColumn<string>(
                name: "DecisionSource",
                table: "DatasetVersionItems",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Person");

            migrationBuilder.CreateTable(
                name: "BulkActions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    AssigneeId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: true),
                    FilterJson = table.Column<string>(type: "TEXT", nullable: false),
                    FilterText = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    IncludeDecided = table.Column<bool>(type: "INTEGER", nullable: false),
                    Matched = table.Column<int>(type: "INTEGER", nullable: false),
                    Applied = table.Column<int>(type: "INTEGER", nullable: false),
                    SpotCheckId = table.Column<long>(type: "INTEGER", nullable: true),
                    Notes = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UndoneAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UndoneBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Restored = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BulkActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BulkActions_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CheckSettings",
                columns: table => new
                {
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    CheckId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CheckSettings", x => new { x.DatasetId, x.CheckId });
                    table.ForeignKey(
                        name: "FK_CheckSettings_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PairFindings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    PairId = table.Column<long>(type: "INTEGER", nullable: false),
                    CheckId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PairFindings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PairFindings_Pairs_PairId",
                        column: x => x.PairId,
                        principalTable: "Pairs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SpotChecks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    FilterJson = table.Column<string>(type: "TEXT", nullable: false),
                    FilterText = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    Seed = table.Column<long>(type: "INTEGER", nullable: false),
                    SampleSize = table.Column<int>(type: "INTEGER", nullable: false),
                    Stratified = table.Column<bool>(type: "INTEGER", nullable: false),
                    Threshold = table.Column<double>(type: "REAL", nullable: false),
                    Margin = table.Column<double>(type: "REAL", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SpotChecks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SpotChecks_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SpotCheckItems",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SpotCheckId = table.Column<long>(type: "INTEGER", nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    PairId = table.Column<long>(type: "INTEGER", nullable: false),
                    Stratum = table.Column<string>(type: "TEXT", maxLength: 160, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SpotCheckItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SpotCheckItems_Pairs_PairId",
                        column: x => x.PairId,
                        principalTable: "Pairs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SpotCheckItems_SpotChecks_SpotCheckId",
                        column: x => x.SpotCheckId,
                        principalTable: "SpotChecks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReviewEvents_BulkActionId_PairId",
                table: "ReviewEvents",
                columns: new[] { "BulkActionId", "PairId" });

            migrationBuilder.CreateIndex(
                name: "IX_Pairs_DatasetId_ContentFingerprint_Id",
                table: "Pairs",
                columns: new[] { "DatasetId", "ContentFingerprint", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_BulkActions_DatasetId_Id",
                table: "BulkActions",
                columns: new[] { "DatasetId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_BulkActions_SpotCheckId",
                table: "BulkActions",
                column: "SpotCheckId");

            migrationBuilder.CreateIndex(
                name: "IX_PairFindings_DatasetId_CheckId_PairId",
                table: "PairFindings",
                columns: new[] { "DatasetId", "CheckId", "PairId" });

            migrationBuilder.CreateIndex(
                name: "IX_PairFindings_DatasetId_Severity_PairId",
                table: "PairFindings",
                columns: new[] { "DatasetId", "Severity", "PairId" });

            migrationBuilder.CreateIndex(
                name: "IX_PairFindings_PairId",
                table: "PairFindings",
                column: "PairId");

            migrationBuilder.CreateIndex(
                name: "IX_SpotCheckItems_DatasetId_PairId",
                table: "SpotCheckItems",
                columns: new[] { "DatasetId", "PairId" });

            migrationBuilder.CreateIndex(
                name: "IX_SpotCheckItems_PairId",
                table: "SpotCheckItems",
                column: "PairId");

            migrationBuilder.CreateIndex(
                name: "IX_SpotCheckItems_SpotCheckId_PairId",
                table: "SpotCheckItems",
                columns: new[] { "SpotCheckId", "PairId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SpotChecks_DatasetId",
                table: "SpotChecks",
                column: "DatasetId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BulkActions");

            migrationBuilder.DropTable(
                name: "CheckSettings");

            migrationBuilder.DropTable(
                name: "PairFindings");

            migrationBuilder.DropTable(
                name: "SpotCheckItems");

            migrationBuilder.DropTable(
                name: "SpotChecks");

            migrationBuilder.DropIndex(
                name: "IX_ReviewEvents_BulkActionId_PairId",
                table: "ReviewEvents");

            migrationBuilder.DropIndex(
                name: "IX_Pairs_DatasetId_ContentFingerprint_Id",
                table: "Pairs");

            migrationBuilder.DropColumn(
                name: "BulkActionId",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "PreviousAssigneeId",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "PreviousDecisionSource",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "ContentFingerprint",
                table: "Pairs");

            migrationBuilder.DropColumn(
                name: "DecisionSource",
                table: "Pairs");

            migrationBuilder.DropColumn(
                name: "DecisionSource",
                table: "DatasetVersionItems");
        }
    }
}
