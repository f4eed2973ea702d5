using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ImportJobDatasetsPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Import jobs named their dataset only inside their parameters; the column now says it (frozen SQL, not live code).
            migrationBuilder.Sql("""
                UPDATE "Jobs" SET "DatasetId" = d."Id" FROM "Datasets" d
                WHERE "Jobs"."Kind" = 'Import' AND "Jobs"."DatasetId" IS NULL AND d."Name" = ("Jobs"."ParametersJson"::jsonb ->> 'datasetName');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
