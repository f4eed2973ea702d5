using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BpoStudio.Core.Data;

/// <summary>
/// Rows of one table written a batch per statement inside the caller's transaction (both providers). One statement
/// per row cost the import most of its time on SQLite: the full-text triggers flush FTS5's pending terms at every
/// statement, so each row wrote its own index segment and merged it later; within one statement they do not.
/// Both get multi-row VALUES; on SQLite the values are bound by position through SQLite's own API, since
/// Microsoft.Data.Sqlite looks each parameter up by name, a scan of the statement's names, and for thousands of them
/// that cost more than the rows (a batch as one JSON array read with <c>json_each</c> cost 7 µs a row in SQLite).
/// </summary>
public sealed class MultiRowInsert : IDisposable
{
    // SQLite allows 32,766 bound values a statement, PostgreSQL 65,535; rows beyond a few hundred gain nothing more.
    private const int MaxValuesPerStatement = 30_000, MaxRowsPerStatement = 500, MaxCachedSizes = 4;
    private readonly DbConnection _connection;
    private readonly string _table, _columnList, _returning;
    private readonly int _columns, _rowsPerStatement;
    private readonly bool _sqlite;
    private readonly Dictionary<int, DbCommand> _bySize = [];
    private readonly Dictionary<int, sqlite3_stmt> _sqliteBySize = [];

    public MultiRowInsert(DbConnection connection, DbTransaction? transaction, string table, IReadOnlyList<string> columns, IReadOnlyList<string>? returning = null)
    {
        _connection = connection;
        Transaction = transaction;
        _table = table;
        _columns = columns.Count;
        _sqlite = SqlIds.IsSqlite(connection);
        _rowsPerStatement = Math.Clamp(MaxValuesPerStatement / _columns, 1, MaxRowsPerStatement);
        _columnList = string.Join(", ", columns.Select(c => $"\"{c}\""));
        _returning = returning is { Count: > 0 } ? " RETURNING " + string.Join(", ", returning.Select(c => $"\"{c}\"")) : "";
    }

    /// <summary>
    /// The transaction the next rows are written in: one writer can serve a connection's successive transactions, and
    /// keeping its statements prepared saves preparing one of thousands of values per batch (about 0.6 ms on SQLite).
    /// </summary>
    public DbTransaction? Transaction { get; set; }

    /// <summary>Writes the rows (each with one value per column) and, with RETURNING columns, gives their values for every row written.</summary>
    public async Task<List<object[]>> InsertAsync(IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        var returned = new List<object[]>(_returning.Length > 0 ? rows.Count : 0);
        for (var start = 0; start < rows.Count; start += _rowsPerStatement)
        {
            var count = Math.Min(_rowsPerStatement, rows.Count - start);
            if (_sqlite)
            {
                InsertSqlite(rows, start, count, returned);
                continue;
            }
            var command = ValuesCommand(rows, start, count);
            if (_returning.Length == 0)
            {
                await command.ExecuteNonQueryAsync(ct);
                continue;
            }
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                returned.Add(values);
            }
        }
        return returned;
    }

    private void InsertSqlite(IReadOnlyList<object?[]> rows, int start, int count, List<object[]> returned)
    {
        var database = ((SqliteConnection)_connection).Handle ?? throw new InvalidOperationException("The connection is not open.");
        var statement = Cached(_sqliteBySize, count, () =>
        {
            Check(database, raw.sqlite3_prepare_v2(database, ValuesSql(count, (_, _) => "?"), out var prepared));
            return prepared;
        });
        try
        {
            var index = 1;
            for (var r = start; r < start + count; r++)
                foreach (var value in Checked(rows[r], r))
                    Check(database, Bind(statement, index++, value));
            int step;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                var values = new object[raw.sqlite3_column_count(statement)];
                for (var c = 0; c < values.Length; c++)
                    values[c] = raw.sqlite3_column_type(statement, c) switch
                    {
                        raw.SQLITE_NULL => DBNull.Value,
                        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, c),
                        raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, c),
                        _ => raw.sqlite3_column_text(statement, c).utf8_to_string(),
                    };
                returned.Add(values);
            }
            if (step != raw.SQLITE_DONE) Check(database, step);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    // As Microsoft.Data.Sqlite binds them: dates in its text format, booleans as 0 and 1.
    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(statement, index),
        string s => raw.sqlite3_bind_text(statement, index, s),
        bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
        int i => raw.sqlite3_bind_int64(statement, index, i),
        long l => raw.sqlite3_bind_int64(statement, index, l),
        double d => raw.sqlite3_bind_double(statement, index, d),
        float f => raw.sqlite3_bind_double(statement, index, f),
        DateTime t => raw.sqlite3_bind_text(statement, index, t.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        DateTimeOffset t => raw.sqlite3_bind_text(statement, index, t.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz", CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"A bulk insert cannot write a {value.GetType().Name} ({value})."),
    };

    private static void Check(sqlite3 database, int result) => SqliteStatementRows.Check(database, result);

    private string ValuesSql(int rows, Func<int, int, string> parameter)
    {
        var values = Enumerable.Range(0, rows).Select(r => "(" + string.Join(", ", Enumerable.Range(0, _columns).Select(c => parameter(r, c))) + ")");
        return $"INSERT INTO \"{_table}\" ({_columnList}) VALUES {string.Join(", ", values)}{_returning}";
    }

    private DbCommand ValuesCommand(IReadOnlyList<object?[]> rows, int start, int count)
    {
        var command = Cached(count, () => ValuesSql(count, (r, c) => $"@p{r * _columns + c}"));
        command.Transaction = Transaction;
        for (var r = 0; r < count; r++)
        {
            var row = Checked(rows[start + r], start + r);
            for (var c = 0; c < _columns; c++) command.Parameters[r * _columns + c].Value = row[c] ?? DBNull.Value;
        }
        return command;
    }

    private object?[] Checked(object?[] row, int index) =>
        row.Length == _columns ? row : throw new ArgumentException($"Row {index} has {row.Length} values for the {_columns} columns of {_table}.");

    /// <summary>The statement for <paramref name="parameterRows"/> rows of parameters.</summary>
    private DbCommand Cached(int parameterRows, Func<string> sql) => Cached(_bySize, parameterRows, () =>
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql();
        for (var p = 0; p < parameterRows * _columns; p++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = string.Create(CultureInfo.InvariantCulture, $"@p{p}");
            command.Parameters.Add(parameter);
        }
        return command;
    });

    /// <summary>A statement by its number of rows, kept prepared: the full-size one always, and the last few others.</summary>
    private T Cached<T>(Dictionary<int, T> cache, int rows, Func<T> create) where T : IDisposable
    {
        if (cache.TryGetValue(rows, out var cached)) return cached;
        if (cache.Count >= MaxCachedSizes && cache.Keys.FirstOrDefault(size => size != _rowsPerStatement) is > 0 and var evicted)
        {
            cache[evicted].Dispose();
            cache.Remove(evicted);
        }
        return cache[rows] = create();
    }

    public void Dispose()
    {
        foreach (var command in _bySize.Values) command.Dispose();
        foreach (var statement in _sqliteBySize.Values) statement.Dispose();
        _bySize.Clear();
        _sqliteBySize.Clear();
    }
}
