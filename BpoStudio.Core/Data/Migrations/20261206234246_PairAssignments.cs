using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class PairAssignments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PairAssignments",
                columns: table => new
                {
                    PairId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PairAssignments", x => new { x.PairId, x.UserId });
                    table.ForeignKey(
                        name: "FK_PairAssignments_Pairs_PairId",
                        column: x => x.PairId,
                        principalTable: "Pairs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Each pair's one assignee becomes its first assignment (frozen SQL: the same on both providers).
            migrationBuilder.Sql("""
                INSERT INTO "PairAssignments" ("PairId", "UserId", "DatasetId")
                SELECT "Id", "AssigneeId", "DatasetId" FROM "Pairs" WHERE "AssigneeId" IS NOT NULL;
                """);

            migrationBuilder.DropIndex(
                name: "IX_Pairs_DatasetId_Status_AssigneeId_Id",
                table: "Pairs");

            // SQLite drops the column in place: EF's table rebuild would run outside the transaction, copy every pair, and
            // lose the defaults earlier migrations gave the table (DecisionSource's among them).
            migrationBuilder.Sql("""ALTER TABLE "Pairs" DROP COLUMN "AssigneeId";""");

            migrationBuilder.CreateIndex(
                name: "IX_Pairs_DatasetId_Status_Id",
                table: "Pairs",
                columns: new[] { "DatasetId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_PairAssignments_DatasetId_UserId_PairId",
                table: "PairAssignments",
                columns: new[] { "DatasetId", "UserId", "PairId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Pairs_DatasetId_Status_Id",
                table: "Pairs");

            migrationBuilder.AddColumn<string>(
                name: "AssigneeId",
                table: "Pairs",
                type: "TEXT",
                maxLength: 450,
                nullable: true);

            migrationBuilder.Sql("""
                UPDATE "Pairs" SET "AssigneeId" = (SELECT MIN(a."UserId") FROM "PairAssignments" a WHERE a."PairId" = "Pairs"."Id");
                """);

            migrationBuilder.DropTable(
                name: "PairAssignments");

            migrationBuilder.CreateIndex(
                name: "IX_Pairs_DatasetId_Status_AssigneeId_Id",
                table: "Pairs",
                columns: new[] { "DatasetId", "Status", "AssigneeId", "Id" });
        }
    }
}
