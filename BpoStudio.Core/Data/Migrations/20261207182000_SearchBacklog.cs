using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class SearchBacklog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A large import may leave the full-text index behind for a while (Datasets/SearchIndex): rows with ids above
            // IndexedThrough are not in it yet. The triggers index, unindex and reindex only rows at or below that mark,
            // or every row while it is NULL (caught up); an FTS5 'delete' of a row it never held would corrupt the index.
            migrationBuilder.Sql("""CREATE TABLE "SearchBacklog" ("Table" TEXT NOT NULL PRIMARY KEY, "IndexedThrough" INTEGER NULL, "DeferredUntil" INTEGER NULL)""");
            migrationBuilder.Sql("""INSERT INTO "SearchBacklog" ("Table") VALUES ('Samples'), ('Responses')""");
            foreach (var (index, table, column) in Indexes)
            {
                DropTriggers(migrationBuilder, table);
                var indexed = $"""coalesce((SELECT "IndexedThrough" FROM "SearchBacklog" WHERE "Table" = '{table}'), 9223372036854775807)""";
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "{table}_search_insert" AFTER INSERT ON "{table}" WHEN new."Id" <= {indexed} BEGIN
                        INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}");
                    END
                    """);
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "{table}_search_delete" AFTER DELETE ON "{table}" WHEN old."Id" <= {indexed} BEGIN
                        INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}");
                    END
                    """);
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "{table}_search_update" AFTER UPDATE OF "{column}" ON "{table}" WHEN old."Id" <= {indexed} BEGIN
                        INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}");
                        INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}");
                    END
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (index, table, column) in Indexes)
            {
                DropTriggers(migrationBuilder, table);
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_search_insert" AFTER INSERT ON "{table}" BEGIN INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}"); END""");
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_search_delete" AFTER DELETE ON "{table}" BEGIN INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}"); END""");
                migrationBuilder.Sql($"""
                    CREATE TRIGGER "{table}_search_update" AFTER UPDATE OF "{column}" ON "{table}" BEGIN
                        INSERT INTO "{index}"("{index}", rowid, "{column}") VALUES ('delete', old."Id", old."{column}");
                        INSERT INTO "{index}"(rowid, "{column}") VALUES (new."Id", new."{column}");
                    END
                    """);
                migrationBuilder.Sql($"""INSERT INTO "{index}"("{index}") VALUES ('rebuild')"""); // whatever was still behind
            }
            migrationBuilder.Sql("""DROP TABLE "SearchBacklog" """);
        }

        private static readonly (string Index, string Table, string Column)[] Indexes = [("SampleSearch", "Samples", "Prompt"), ("ResponseSearch", "Responses", "Text")];

        private static void DropTriggers(MigrationBuilder migrationBuilder, string table)
        {
            foreach (var trigger in new[] { "insert", "delete", "update" }) migrationBuilder.Sql($"""DROP TRIGGER IF EXISTS "{table}_search_{trigger}" """);
        }
    }
}
