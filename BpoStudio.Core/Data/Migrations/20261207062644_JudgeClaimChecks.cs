using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class JudgeClaimChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ClaimChecks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    PairId = table.Column<long>(type: "INTEGER", nullable: false),
                    ResponseId = table.Column<long>(type: "INTEGER", nullable: false),
                    Start = table.Column<int>(type: "INTEGER", nullable: false),
                    Length = table.Column<int>(type: "INTEGER", nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Holds = table.Column<double>(type: "REAL", nullable: true),
                    Votes = table.Column<int>(type: "INTEGER", nullable: false),
                    Unparsable = table.Column<int>(type: "INTEGER", nullable: false),
                    Rationale = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Scorer = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Template = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    JobId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ClaimChecks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ClaimChecks_Pairs_PairId",
                        column: x => x.PairId,
                        principalTable: "Pairs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ClaimChecks_PairId",
                table: "ClaimChecks",
                column: "PairId");

            migrationBuilder.CreateIndex(
                name: "IX_ClaimChecks_ResponseId_Scorer_Template_Start",
                table: "ClaimChecks",
                columns: new[] { "ResponseId", "Scorer", "Template", "Start" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ClaimChecks");
        }
    }
}
