using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ErrorSpans : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "Weight",
                table: "DatasetVersionItems",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "CriticalErrorWeight",
                table: "Datasets",
                type: "REAL",
                nullable: false,
                defaultValue: 2.0);

            migrationBuilder.AddColumn<double>(
                name: "MajorErrorWeight",
                table: "Datasets",
                type: "REAL",
                nullable: false,
                defaultValue: 1.0);

            migrationBuilder.AddColumn<double>(
                name: "MinorErrorWeight",
                table: "Datasets",
                type: "REAL",
                nullable: false,
                defaultValue: 0.5);

            migrationBuilder.CreateTable(
                name: "ErrorSpans",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    ResponseId = table.Column<long>(type: "INTEGER", nullable: false),
                    Start = table.Column<int>(type: "INTEGER", nullable: false),
                    Length = table.Column<int>(type: "INTEGER", nullable: false),
                    Text = table.Column<string>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Origin = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CarriedFromId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ChangedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ChangedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
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
