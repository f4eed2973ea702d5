using System.Data.Common;
using System.Diagnostics;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Audit;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Triage.Checks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Triage;

public sealed record CheckInfo(string Id, string Description, FindingSeverity DefaultSeverity, FindingSeverity Severity);

public sealed record CheckRunSummary(long Pairs, IReadOnlyDictionary<string, int> Findings, double Seconds);

/// <summary>
/// Runs every <see cref="IPairCheck"/> over pairs and stores what fired. A pair's findings and content fingerprint are
/// rewritten whole each time it is checked: at creation and edit (inside that transaction) and by a recompute.
/// </summary>
public sealed class PairChecker(IDbContextFactory<BpoDbContext> dbFactory, IEnumerable<IPairCheck> checks, AuditLog audit, TimeProvider clock) : IPairRecheck
{
    /// <summary>Pairs per transaction of a recompute (tests make it small to cross chunk borders with a few pairs).</summary>
    internal int ChunkSize { get; init; } = 20_000;
    private const int ParallelFrom = 2_048;

    public IReadOnlyList<IPairCheck> Checks { get; } = [.. checks];

    public bool IsKnown(string checkId) => Checks.Any(c => c.Id == checkId) || JudgeFindings.Defaults.Any(d => d.Id == checkId);

    /// <summary>The checks with the severity each has on this dataset.</summary>
    public async Task<IReadOnlyList<CheckInfo>> CatalogAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var chosen = await db.CheckSettings.Where(s => s.DatasetId == datasetId).ToDictionaryAsync(s => s.CheckId, s => s.Severity, ct);
        return [.. Checks.Select(c => new CheckInfo(c.Id, c.Description, c.DefaultSeverity, chosen.GetValueOrDefault(c.Id, c.DefaultSeverity))),
            .. JudgeFindings.Defaults.Select(d => d with { Severity = chosen.GetValueOrDefault(d.Id, d.DefaultSeverity) })];
    }

    /// <summary>A lead sets a check's severity on a dataset; the stored findings take it at once.</summary>
    public async Task SetSeverityAsync(int datasetId, string checkId, FindingSeverity severity, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("change a check's severity");
        if (!IsKnown(checkId)) throw new InvalidInputError($"There is no check '{checkId}'; the checks are {string.Join(", ", Checks.Select(c => c.Id).Concat(JudgeFindings.Defaults.Select(d => d.Id)))}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var setting = await db.CheckSettings.FirstOrDefaultAsync(s => s.DatasetId == datasetId && s.CheckId == checkId, ct);
        if (setting is null) db.CheckSettings.Add(setting = new CheckSetting { DatasetId = datasetId, CheckId = checkId });
        (setting.Severity, setting.UpdatedBy, setting.UpdatedAt) = (severity, actor.DisplayName(), clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        await db.PairFindings.Where(f => f.DatasetId == datasetId && f.CheckId == checkId).ExecuteUpdateAsync(s => s.SetProperty(f => f.Severity, severity), ct);
        db.AuditEntries.Add(new AuditEntry { At = clock.GetUtcNow().UtcDateTime, UserName = actor.DisplayName(), Action = TriageAudit.CheckSeverity, Subject = $"dataset {datasetId}", Details = $"{checkId}: {severity.ToWire()}" });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Checks every pair of the dataset again, a chunk per transaction.</summary>
    public Task<CheckRunSummary> RecomputeAsync(int datasetId, ClaimsPrincipal actor, Func<long, Task>? progress = null, CancellationToken ct = default) =>
        RecomputeAsync(datasetId, actor, after: 0, progress is null ? null : (_, _, done) => progress(done), ct);

    /// <summary>
    /// The same from a resume point: pairs with ids after <paramref name="after"/>. <paramref name="afterChunk"/> runs inside
    /// each chunk's transaction with the chunk's last pair id, so a job's cursor commits together with the findings.
    /// </summary>
    public async Task<CheckRunSummary> RecomputeAsync(int datasetId, ClaimsPrincipal actor, long after, Func<BpoDbContext, long, long, Task>? afterChunk, CancellationToken ct = default)
    {
        actor.RequireLead("run the pair checks");
        var clock = Stopwatch.StartNew();
        long total = 0;
        // A reader prepares the next chunk (reading, fingerprints, each pair's own checks on every core) while the one
        // writer stores this one: in turn, the cores idled through the writes and the database through the checks.
        var prepared = Channel.CreateBounded<PreparedChunk>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(() => PrepareChunksAsync(datasetId, after, prepared.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var chunk in prepared.Reader.ReadAllAsync(ct))
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                total += await WriteChunkAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), datasetId, chunk, ct);
                if (afterChunk is not null) await afterChunk(db, chunk.Scope.High, total);
                await tx.CommitAsync(ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reader; // it never throws: a failure of its own reached the loop through the channel
        }
        var counts = await CountsAsync(datasetId, ct);
        await audit.WriteAsync(actor.DisplayName(), TriageAudit.ChecksRun, $"dataset {datasetId}",
            $"{total:N0} pairs; {string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Key} {c.Value:N0}"))}", ct);
        return new CheckRunSummary(total, counts, clock.Elapsed.TotalSeconds);
    }

    public Task RecheckSamplesAsync(DbConnection connection, DbTransaction transaction, int datasetId, long firstSampleId, long lastSampleId, CancellationToken ct) =>
        CheckAsync(connection, transaction, datasetId, PairScope.BySample(firstSampleId, lastSampleId), ct);

    /// <summary>Findings per check id (every check listed, zero included).</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountsAsync(int datasetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var counts = await db.PairFindings.Where(f => f.DatasetId == datasetId).GroupBy(f => f.CheckId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return Checks.Select(c => c.Id).Concat(JudgeFindings.Defaults.Select(d => d.Id)).ToDictionary(id => id, id => counts.GetValueOrDefault(id));
    }

    private async Task<int> CheckAsync(DbConnection connection, DbTransaction transaction, int datasetId, PairScope scope, CancellationToken ct) =>
        await ApplyAsync(connection, transaction, datasetId, await PrepareAsync(connection, transaction, datasetId, scope, ct), ct);

    private async Task PrepareChunksAsync(int datasetId, long after, ChannelWriter<PreparedChunk> output, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var upper = await db.Pairs.Where(p => p.DatasetId == datasetId && p.Id > after).OrderBy(p => p.Id).Skip(ChunkSize - 1)
                    .Select(p => (long?)p.Id).FirstOrDefaultAsync(ct) ?? long.MaxValue;
                await db.Database.OpenConnectionAsync(ct);
                await output.WriteAsync(await PrepareAsync(db.Database.GetDbConnection(), null, datasetId, PairScope.ByPairId(after, upper), ct), ct);
                if (upper == long.MaxValue) break;
                after = upper;
            }
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
        }
    }

    /// <summary>Reads a range's pairs, fingerprints them and runs the checks that look at one pair alone.</summary>
    private async Task<PreparedChunk> PrepareAsync(DbConnection connection, DbTransaction? transaction, int datasetId, PairScope scope, CancellationToken ct)
    {
        var (pairs, stored, stamp) = await ReadAsync(connection, transaction, datasetId, scope, ct);
        var fingerprints = new long[pairs.Count];
        var found = new List<(int Check, string Detail)>?[pairs.Count];
        For(pairs.Count, i =>
        {
            fingerprints[i] = Fingerprint(pairs[i]);
            for (var c = 0; c < Checks.Count; c++)
                if (!Checks[c].ComparesPairs && Checks[c].Check(pairs[i]) is { } detail) (found[i] ??= []).Add((c, detail));
        });
        return new PreparedChunk(scope, pairs, stored, stamp, fingerprints, found);
    }

    // The writer's transaction holds the write lock. A chunk read before it is stored as read only when none of its
    // pairs changed meanwhile (an edit or a swap, a pair added to the last range, one deleted); otherwise it is read
    // again here. Every change to a pair raises its row version, which never falls, so sums tell (and cost SQLite a few
    // milliseconds a chunk where comparing the rows one by one in .NET cost a second over a million pairs).
    private async Task<int> WriteChunkAsync(DbConnection connection, DbTransaction transaction, int datasetId, PreparedChunk chunk, CancellationToken ct)
    {
        ChunkStamp now;
        await using (var command = SqlCommands.Create(connection, transaction, $"""
            SELECT COUNT(*), CAST(COALESCE(SUM(p."Id"), 0) AS BIGINT), CAST(COALESCE(SUM(p."RowVersion"), 0) AS BIGINT),
                CAST(COALESCE(SUM(p."ChosenResponseId" + p."RejectedResponseId"), 0) AS BIGINT)
            FROM "Pairs" p WHERE +p."DatasetId" = @dataset AND {chunk.Scope.Sql("p")}
            """, ("dataset", datasetId), ("low", chunk.Scope.Low), ("high", chunk.Scope.High)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            now = new ChunkStamp(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        if (now != chunk.Stamp) chunk = await PrepareAsync(connection, transaction, datasetId, chunk.Scope, ct);
        return await ApplyAsync(connection, transaction, datasetId, chunk, ct);
    }

    /// <summary>Stores a prepared chunk: its changed fingerprints, the checks that compare pairs, and its findings in place of the old.</summary>
    private async Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, int datasetId, PreparedChunk chunk, CancellationToken ct)
    {
        var (scope, pairs, found) = (chunk.Scope, chunk.Pairs, chunk.Found);
        if (pairs.Count == 0)
        {
            await DeleteFindingsAsync(connection, transaction, datasetId, scope, ct);
            return 0;
        }
        var severities = await SeveritiesAsync(connection, transaction, datasetId, ct);
        await StoreFingerprintsAsync(connection, transaction, chunk, ct);
        var first = await FirstWithFingerprintAsync(connection, transaction, datasetId, chunk.Fingerprints, ct);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (first.TryGetValue(chunk.Fingerprints[i], out var earliest) && earliest < pairs[i].PairId) pairs[i].DuplicateOf = earliest;
            var had = found[i]?.Count ?? 0;
            for (var c = 0; c < Checks.Count; c++)
                if (Checks[c].ComparesPairs && Checks[c].Check(pairs[i]) is { } detail) (found[i] ??= []).Add((c, detail));
            if (had > 0 && found[i]!.Count > had) found[i]!.Sort(); // in the checks' order, as one pass over them wrote them
        }
        await DeleteFindingsAsync(connection, transaction, datasetId, scope, ct);
        await InsertFindingsAsync(connection, transaction, datasetId, pairs, found, severities, ct);
        return pairs.Count;
    }

    private static void For(int count, Action<int> body)
    {
        if (count < ParallelFrom) for (var i = 0; i < count; i++) body(i);
        else Parallel.For(0, count, body);
    }

    private static async Task<(List<PairCheckInput> Pairs, List<long?> Stored, ChunkStamp Stamp)> ReadAsync(DbConnection connection, DbTransaction? transaction, int datasetId, PairScope scope, CancellationToken ct)
    {
        await using var command = SqlCommands.Create(connection, transaction, ReadSql(scope.BySampleId), ("dataset", datasetId), ("low", scope.Low), ("high", scope.High));
        var pairs = new List<PairCheckInput>();
        var stored = new List<long?>();
        var stamp = new ChunkStamp(0, 0, 0, 0);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            ResponseKindNames.TryParse(reader.GetString(5), out var kind);
            pairs.Add(new PairCheckInput(reader.GetInt64(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), kind, Text(6), Text(7), Text(8), Text(9), Text(10)));
            stored.Add(reader.IsDBNull(1) ? null : reader.GetInt64(1));
            stamp = stamp.With(reader.GetInt64(0), reader.GetInt64(11), reader.GetInt64(12) + reader.GetInt64(13));
        }
        return (pairs, stored, stamp);
    }

    /// <summary>The pairs of a range with their texts: by sample ids (<c>@low</c>..<c>@high</c>) or by pair ids after <c>@low</c> up to <c>@high</c>.</summary>
    internal static string ReadSql(bool bySampleId) => $"""
        SELECT p."Id", p."ContentFingerprint", s."Prompt", c."Text", r."Text", r."Kind", r."Method", r."ExtraJson", s."ImageHash", s."ImageProblem", s."SourceImagePath",
            p."RowVersion", p."ChosenResponseId", p."RejectedResponseId"
        FROM "Pairs" p
        JOIN "Samples" s ON s."Id" = p."SampleId"
        JOIN "Responses" c ON c."Id" = p."ChosenResponseId"
        JOIN "Responses" r ON r."Id" = p."RejectedResponseId"
        WHERE +p."DatasetId" = @dataset AND {new PairScope(bySampleId, 0, 0).Sql("p")}
        ORDER BY p."Id"
        """;

    // Image, prompt, chosen and rejected, separated so that no two different splits hash alike.
    // The parts' UTF-8 go into one pooled buffer, the bytes of the joined string's UTF-8 without building either.
    internal static long Fingerprint(PairCheckInput pair)
    {
        ReadOnlySpan<string> parts = [pair.ImageHash ?? "", pair.Prompt, pair.Chosen.Raw, pair.Rejected.Raw];
        var size = parts.Length - 1;
        foreach (var part in parts) size += Encoding.UTF8.GetByteCount(part);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        var length = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) buffer[length++] = 0;
            length += Encoding.UTF8.GetBytes(parts[i], buffer.AsSpan(length));
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.AsSpan(0, length), hash);
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return BitConverter.ToInt64(hash);
    }

    // One statement for a chunk's changed fingerprints: a statement per pair cost PostgreSQL a round trip each (6.4 s
    // for a first check of 20,000 pairs); on SQLite both take the same (the fingerprint index's updates are the cost).
    private static async Task StoreFingerprintsAsync(DbConnection connection, DbTransaction transaction, PreparedChunk chunk, CancellationToken ct)
    {
        var (pairs, fingerprints) = (chunk.Pairs, chunk.Fingerprints);
        var changed = Enumerable.Range(0, pairs.Count).Where(i => chunk.Stored[i] != fingerprints[i]).ToList();
        if (changed.Count == 0) return;
        if (SqlIds.IsSqlite(connection))
        {
            var json = new StringBuilder(changed.Count * 32).Append('[');
            foreach (var i in changed) json.Append('[').Append(pairs[i].PairId).Append(',').Append(fingerprints[i]).Append("],");
            json.Length--;
            await SqlCommands.ExecuteAsync(connection, transaction, """
                UPDATE "Pairs" SET "ContentFingerprint" = j.value ->> 1 FROM json_each(@rows) AS j WHERE "Pairs"."Id" = j.value ->> 0
                """, ct, ("rows", json.Append(']').ToString()));
        }
        else
            await SqlCommands.ExecuteAsync(connection, transaction, """
                UPDATE "Pairs" AS p SET "ContentFingerprint" = v.fingerprint FROM unnest(@ids, @fingerprints) AS v(id, fingerprint) WHERE p."Id" = v.id
                """, ct, ("ids", changed.Select(i => pairs[i].PairId).ToArray()), ("fingerprints", changed.Select(i => fingerprints[i]).ToArray()));
    }

    private static async Task<Dictionary<long, long>> FirstWithFingerprintAsync(DbConnection connection, DbTransaction transaction, int datasetId, long[] fingerprints, CancellationToken ct)
    {
        await using var command = SqlCommands.Create(connection, transaction, $"""
            SELECT "ContentFingerprint", MIN("Id") FROM "Pairs"
            WHERE "DatasetId" = @dataset AND "ContentFingerprint" IN {SqlIds.Set(connection, "fingerprints")}
            GROUP BY "ContentFingerprint" HAVING COUNT(*) > 1
            """, ("dataset", datasetId));
        SqlIds.Add(command, "fingerprints", fingerprints.Distinct().ToArray());
        var first = new Dictionary<long, long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) first[reader.GetInt64(0)] = reader.GetInt64(1);
        return first;
    }

    private static Task DeleteFindingsAsync(DbConnection connection, DbTransaction transaction, int datasetId, PairScope scope, CancellationToken ct) =>
        SqlCommands.ExecuteAsync(connection, transaction, $"""
            DELETE FROM "PairFindings" WHERE "PairId" IN (SELECT p."Id" FROM "Pairs" p WHERE +p."DatasetId" = @dataset AND {scope.Sql("p")})
                AND "CheckId" NOT LIKE '{JudgeFindings.Prefix}%'
            """, ct, ("dataset", datasetId), ("low", scope.Low), ("high", scope.High));

    private async Task InsertFindingsAsync(DbConnection connection, DbTransaction transaction, int datasetId,
        List<PairCheckInput> pairs, List<(int Check, string Detail)>?[] found, Dictionary<string, FindingSeverity> severities, CancellationToken ct)
    {
        await using var insert = SqlCommands.Create(connection, transaction, """
            INSERT INTO "PairFindings" ("DatasetId", "PairId", "CheckId", "Severity", "Detail") VALUES (@dataset, @pair, @check, @severity, @detail)
            """, ("dataset", datasetId), ("pair", 0L), ("check", ""), ("severity", ""), ("detail", ""));
        if (SqlIds.IsSqlite(connection)) insert.Prepare();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (found[i] is not { } findings) continue;
            foreach (var (index, detail) in findings)
            {
                var check = Checks[index];
                insert.Parameters[1].Value = pairs[i].PairId;
                insert.Parameters[2].Value = check.Id;
                insert.Parameters[3].Value = severities.GetValueOrDefault(check.Id, check.DefaultSeverity).ToString();
                insert.Parameters[4].Value = MissingImageCheck.Truncate(detail, 256);
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static async Task<Dictionary<string, FindingSeverity>> SeveritiesAsync(DbConnection connection, DbTransaction transaction, int datasetId, CancellationToken ct)
    {
        await using var command = SqlCommands.Create(connection, transaction, """SELECT "CheckId", "Severity" FROM "CheckSettings" WHERE "DatasetId" = @dataset""", ("dataset", datasetId));
        var severities = new Dictionary<string, FindingSeverity>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) severities[reader.GetString(0)] = Enum.Parse<FindingSeverity>(reader.GetString(1));
        return severities;
    }

    /// <summary>
    /// Which pairs a check run covers: a pair-id range (recompute) or a sample-id range (creation and edits). The queries
    /// write <c>+p."DatasetId"</c> so that SQLite walks this range's index and not the (dataset, status, ...) one, which
    /// made every import batch read all the dataset's pairs so far (quadratic over an import).
    /// </summary>
    private sealed record PreparedChunk(PairScope Scope, List<PairCheckInput> Pairs, List<long?> Stored, ChunkStamp Stamp, long[] Fingerprints, List<(int Check, string Detail)>?[] Found);

    /// <summary>A range's pairs as sums: their count, ids, row versions and answer ids.</summary>
    private readonly record struct ChunkStamp(long Count, long Ids, long RowVersions, long Answers)
    {
        public ChunkStamp With(long id, long rowVersion, long answers) => new(Count + 1, Ids + id, RowVersions + rowVersion, Answers + answers);
    }

    private sealed record PairScope(bool BySampleId, long Low, long High)
    {
        public static PairScope ByPairId(long after, long upTo) => new(false, after, upTo);
        public static PairScope BySample(long first, long last) => new(true, first, last);

        public string Sql(string alias) => BySampleId ? $"""{alias}."SampleId" BETWEEN @low AND @high""" : $"""{alias}."Id" > @low AND {alias}."Id" <= @high""";
    }
}
