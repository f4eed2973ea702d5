using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class Search : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Full-text indexes over prompts and answers, kept in step by triggers (responses and prompts are never
            // rewritten in place: an edit is a new response row). The review search asks these instead of scanning.
            foreach (var (index, table, column) in new[] { ("SampleSearch", "Samples", "Prompt"), ("ResponseSearch", "Responses", "Text") })
            {
                migrationBuilder.Sql($"""CREATE VIRTUAL TABLE "{index}" USING fts5("{column}", content='{table}', content_rowid='Id', tokenize='unicode61 remove_diacritics 2')""");
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_search_insert" AFTER INSERT ON "{table}" BEGIN INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}"); END""");
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_search_delete" AFTER DELETE ON "{table}" BEGIN INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}"); END""");
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "{table}_search_update" AFTER UPDATE OF "{column}" ON "{table}" BEGIN
                        INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}");
                        INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}");
                    END
                    """);
                migrationBuilder.Sql($"""INSERT INTO "{index}"("{index}") VALUES ('rebuild')""");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (index, table) in new[] { ("SampleSearch", "Samples"), ("ResponseSearch", "Responses") })
            {
                foreach (var trigger in new[] { "insert", "delete", "update" }) migrationBuilder.Sql($"""DROP TRIGGER IF EXISTS "{table}_search_{trigger}" """);
                migrationBuilder.Sql($"""DROP TABLE IF EXISTS "{index}" """);
            }
        }
    }
}
