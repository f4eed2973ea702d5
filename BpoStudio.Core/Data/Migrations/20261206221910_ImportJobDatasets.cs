using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ImportJobDatasets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Import jobs named their dataset only inside their parameters; the column now says it (frozen SQL, not live code).
            migrationBuilder.Sql("""
                UPDATE "Jobs" SET "DatasetId" = (SELECT d."Id" FROM "Datasets" d WHERE d."Name" = json_extract("Jobs"."ParametersJson", '$.datasetName'))
                WHERE "Kind" = 'Import' AND "DatasetId" IS NULL AND json_valid("ParametersJson");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
