using System.Data.Common;
using System.Text;

namespace BpoStudio.Core.Data;

/// <summary>
/// A list of ids handed to raw SQL as one parameter, whatever its length: a JSON array read by <c>json_each</c> on
/// SQLite, a <c>bigint[]</c> read by <c>unnest</c> on PostgreSQL. Use as <c>"Id" IN {SqlIds.Set("ids")}</c>.
/// </summary>
public static class SqlIds
{
    public static string Set(DbConnection connection, string name) =>
        IsSqlite(connection) ? $"(SELECT value FROM json_each(@{name}))" : $"(SELECT unnest(@{name}))";

    public static void Add(DbCommand command, string name, IReadOnlyCollection<long> ids)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        if (IsSqlite(command.Connection!))
        {
            var json = new StringBuilder(ids.Count * 8 + 2).Append('[');
            foreach (var id in ids) json.Append(id).Append(',');
            if (ids.Count > 0) json.Length--;
            parameter.Value = json.Append(']').ToString();
        }
        else parameter.Value = ids as long[] ?? [.. ids];
        command.Parameters.Add(parameter);
    }

    public static bool IsSqlite(DbConnection connection) => connection is Microsoft.Data.Sqlite.SqliteConnection;
}

/// <summary>Small helpers for the raw commands of bulk paths.</summary>
public static class SqlCommands
{
    public static DbCommand Create(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        // These statements span a dataset (a bulk accept of a million pairs): PostgreSQL's client would cut one at 30 s,
        // and the caller's token is what ends it. SQLite's timeout is the wait for the write lock, which stays.
        if (connection is not Microsoft.Data.Sqlite.SqliteConnection) command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
