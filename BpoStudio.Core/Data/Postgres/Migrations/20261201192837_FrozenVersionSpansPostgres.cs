using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class FrozenVersionSpansPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ErrorSpansJson",
                table: "DatasetVersionItems",
                type: "text",
                nullable: true);

            // Versions approved before spans were frozen exported the spans as they stood at export time; they keep
            // those of the upgrade from now on, in the format approvals freeze them in.
            migrationBuilder.Sql(Feedback.FrozenSpans.Sql(postgres: true, items: "1 = 1"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ErrorSpansJson",
                table: "DatasetVersionItems");
        }
    }
}
