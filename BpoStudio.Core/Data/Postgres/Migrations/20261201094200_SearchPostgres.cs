using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class SearchPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Full-text search over prompts and answers: expression indexes the review search's to_tsvector calls match.
            migrationBuilder.Sql("""CREATE INDEX "IX_Samples_Prompt_Search" ON "Samples" USING GIN (to_tsvector('simple', "Prompt"))""");
            migrationBuilder.Sql("""CREATE INDEX "IX_Responses_Text_Search" ON "Responses" USING GIN (to_tsvector('simple', "Text"))""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_Samples_Prompt_Search" """);
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_Responses_Text_Search" """);
        }
    }
}
