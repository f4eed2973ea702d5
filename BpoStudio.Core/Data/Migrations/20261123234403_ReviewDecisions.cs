using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ReviewDecisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "PreviousChosenResponseId",
                table: "ReviewEvents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PreviousRejectedResponseId",
                table: "ReviewEvents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PreviousStatus",
                table: "ReviewEvents",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Undone",
                table: "ReviewEvents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "PairDecisions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PairId = table.Column<long>(type: "INTEGER", nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PairDecisions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PairDecisions_Pairs_PairId",
                        column: x => x.PairId,
                        principalTable: "Pairs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PairDecisions_DatasetId_UserId",
                table: "PairDecisions",
                columns: new[] { "DatasetId", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_PairDecisions_PairId_UserId",
                table: "PairDecisions",
                columns: new[] { "PairId", "UserId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PairDecisions");

            migrationBuilder.DropColumn(
                name: "PreviousChosenResponseId",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "PreviousRejectedResponseId",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "PreviousStatus",
                table: "ReviewEvents");

            migrationBuilder.DropColumn(
                name: "Undone",
                table: "ReviewEvents");
        }
    }
}
