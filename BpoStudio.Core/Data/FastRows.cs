using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BpoStudio.Core.Data;

/// <summary>Forward-only rows of a large read (an export, a dashboard's tallies), by ordinal.</summary>
internal interface IFastRows : IAsyncDisposable
{
    bool Read();
    bool IsNull(int ordinal);
    long GetInt64(int ordinal);
    double GetDouble(int ordinal);
    string GetString(int ordinal);

    /// <summary>Runs the same prepared query again with new parameter values, from its first row.</summary>
    ValueTask RestartAsync(IReadOnlyList<(string Name, long Value)> parameters, CancellationToken ct);

    /// <summary>A text column's UTF-8 bytes, copied into <paramref name="texts"/>.</summary>
    Utf8Text GetUtf8(int ordinal, Utf8TextBuffer texts) => texts.Copy(GetString(ordinal));

    /// <summary>A value that repeats row after row (a kind, a method): the same instance while it stays the same.</summary>
    string GetRepeatedString(int ordinal) => GetString(ordinal);
    bool GetBoolean(int ordinal) => GetInt64(ordinal) != 0;

    /// <summary>
    /// SQLite is read through its statement handle: ADO.NET's per-value type checks and conversions cost more than
    /// SQLite's own stepping on a million-row export. Other providers go through their data reader.
    /// </summary>
    static async Task<IFastRows> OpenAsync(DbConnection connection, string sql, IReadOnlyList<(string Name, long Value)> parameters, CancellationToken ct)
    {
        if (connection is SqliteConnection sqlite && NativeSqlite.IsAvailable && SqliteStatementRows.OpenReadOnly(sqlite) is { } database)
            return SqliteStatementRows.Prepare(database, sql, parameters);
        var command = connection.CreateCommand();
        try
        {
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }
            return new DataReaderRows(command, await command.ExecuteReaderAsync(ct));
        }
        catch
        {
            await command.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Owns its command: disposing a command closes its reader on some providers.</summary>
internal sealed class DataReaderRows(DbCommand command, DbDataReader firstReader) : IFastRows
{
    private DbDataReader _reader = firstReader;

    // Read synchronously: an async step per row costs more than the row.
    public bool Read() => _reader.Read();
    public bool IsNull(int ordinal) => _reader.IsDBNull(ordinal);
    public long GetInt64(int ordinal) => _reader.GetInt64(ordinal);
    public double GetDouble(int ordinal) => _reader.GetDouble(ordinal);
    public string GetString(int ordinal) => _reader.GetString(ordinal);
    public bool GetBoolean(int ordinal) => _reader.GetBoolean(ordinal);

    public async ValueTask RestartAsync(IReadOnlyList<(string Name, long Value)> parameters, CancellationToken ct)
    {
        await _reader.DisposeAsync();
        foreach (var (name, value) in parameters) command.Parameters[name].Value = value;
        _reader = await command.ExecuteReaderAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        await command.DisposeAsync();
    }
}

internal sealed class SqliteStatementRows : IFastRows
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private readonly nint _handle;
    private readonly (byte[] Bytes, string? Text)[] _repeated;

    private SqliteStatementRows(sqlite3 database, sqlite3_stmt statement)
    {
        _database = database;
        _statement = statement;
        _handle = statement.DangerousGetHandle();
        _repeated = new (byte[], string?)[raw.sqlite3_column_count(statement)];
    }

    /// <summary>
    /// A read-only connection of its own to the same file, without SQLite's per-call connection mutex (a tenth of the
    /// reading time); only this reader uses it. Null for an in-memory database, which only its own connection sees.
    /// </summary>
    public static sqlite3? OpenReadOnly(SqliteConnection connection)
    {
        if (!IsFile(connection)) return null;
        var result = raw.sqlite3_open_v2(connection.DataSource, out var database, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null);
        if (result != raw.SQLITE_OK)
        {
            database.Dispose();
            return null;
        }
        raw.sqlite3_busy_timeout(database, 30_000);
        raw.sqlite3_exec(database, "PRAGMA mmap_size = 1099511627776"); // pages straight from the page cache, not a read() each
        return database;
    }

    /// <summary>False for an in-memory database: other connections (other readers) would see an empty one.</summary>
    public static bool IsFile(SqliteConnection connection) =>
        connection.DataSource is { Length: > 0 } path && path != ":memory:" && File.Exists(path);

    public static SqliteStatementRows Prepare(sqlite3 database, string sql, IReadOnlyList<(string Name, long Value)> parameters)
    {
        sqlite3_stmt? statement = null;
        try
        {
            Check(database, raw.sqlite3_prepare_v2(database, sql, out statement));
            var rows = new SqliteStatementRows(database, statement);
            rows.Bind(parameters);
            return rows;
        }
        catch
        {
            statement?.Dispose();
            database.Dispose();
            throw;
        }
    }

    public bool Read()
    {
        var result = NativeSqlite.sqlite3_step(_handle);
        if (result == raw.SQLITE_ROW) return true;
        if (result == raw.SQLITE_DONE) return false;
        Check(_database, result);
        return false;
    }

    public ValueTask RestartAsync(IReadOnlyList<(string Name, long Value)> parameters, CancellationToken ct)
    {
        raw.sqlite3_reset(_statement); // its result repeats the last step's error, which Read already reported
        Bind(parameters);
        return ValueTask.CompletedTask;
    }

    private void Bind(IReadOnlyList<(string Name, long Value)> parameters)
    {
        foreach (var (name, value) in parameters)
            Check(_database, raw.sqlite3_bind_int64(_statement, raw.sqlite3_bind_parameter_index(_statement, name), value));
    }

    public bool IsNull(int ordinal) => NativeSqlite.sqlite3_column_type(_handle, ordinal) == raw.SQLITE_NULL;
    public long GetInt64(int ordinal) => NativeSqlite.sqlite3_column_int64(_handle, ordinal);
    public double GetDouble(int ordinal) => NativeSqlite.sqlite3_column_double(_handle, ordinal);
    public string GetString(int ordinal) => Encoding.UTF8.GetString(NativeSqlite.Bytes(_handle, ordinal));
    public Utf8Text GetUtf8(int ordinal, Utf8TextBuffer texts) => texts.Copy(NativeSqlite.Bytes(_handle, ordinal));

    public string GetRepeatedString(int ordinal)
    {
        var bytes = NativeSqlite.Bytes(_handle, ordinal);
        ref var last = ref _repeated[ordinal];
        if (last.Text is not null && bytes.SequenceEqual(last.Bytes)) return last.Text;
        last = (bytes.ToArray(), Encoding.UTF8.GetString(bytes));
        return last.Text;
    }

    public ValueTask DisposeAsync()
    {
        _statement.Dispose();
        _database.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Throws SQLite's own message for a result that is not OK (the bulk insert shares it).</summary>
    internal static void Check(sqlite3 database, int result)
    {
        if (result != raw.SQLITE_OK) throw new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(database).utf8_to_string()}'.", result, raw.sqlite3_extended_errcode(database));
    }
}

/// <summary>
/// The column getters of the SQLite library Microsoft.Data.Sqlite loaded, called without a GC transition: each is a
/// short, non-blocking read of the current row, and the marshalling around SQLitePCL's safe handles cost more than
/// SQLite itself. Statements are still prepared, bound and finalized through SQLitePCL, which owns their handles.
/// </summary>
internal static unsafe partial class NativeSqlite
{
    private const string Library = "e_sqlite3";

    public static readonly bool IsAvailable = Probe();

    public static ReadOnlySpan<byte> Bytes(nint statement, int ordinal)
    {
        var start = sqlite3_column_blob(statement, ordinal); // blob before bytes, as SQLite documents
        return new ReadOnlySpan<byte>(start, sqlite3_column_bytes(statement, ordinal));
    }

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_column_int64(nint statement, int ordinal);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial double sqlite3_column_double(nint statement, int ordinal);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_type(nint statement, int ordinal);

    [LibraryImport(Library), SuppressGCTransition]
    private static partial byte* sqlite3_column_blob(nint statement, int ordinal);

    [LibraryImport(Library), SuppressGCTransition]
    private static partial int sqlite3_column_bytes(nint statement, int ordinal);

    // Stepping may wait on a lock or run long, so it keeps its GC transition; it only skips the safe-handle bookkeeping.
    [LibraryImport(Library)]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library)]
    private static partial int sqlite3_libversion_number();

    // Another SQLite provider (SQLCipher, the system library) means reading through ADO.NET instead.
    private static bool Probe()
    {
        try
        {
            return sqlite3_libversion_number() == raw.sqlite3_libversion_number();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
