using System.Security.Claims;
using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Import;

/// <summary>What a push did: its import job, the merge counts and each refused record with where and why.</summary>
public sealed record PushResult(long JobId, long Imported, long SamplesPresent, long NewResponses, long RepeatedResponses, IReadOnlyList<RecordProblem> Rejected);

/// <summary>
/// Records sent by a program (the API) rather than a file on the server: saved as an upload and imported by the same
/// import job the page and the CLI start, merged the same way (a repeated push adds nothing), and answered when done.
/// Every push into a dataset shares one source name, so a record id names one sample across pushes.
/// </summary>
public sealed class RecordPush(ImportService imports, JobService jobs, IDbContextFactory<BpoDbContext> dbFactory, DataPaths paths)
{
    public const int MaxRecords = 10_000;
    public const long MaxBytes = 64L * 1024 * 1024;
    public const string SourceName = "api-records.jsonl";

    public async Task<PushResult> PushAsync(ClaimsPrincipal actor, int datasetId, ImportFormat? format, Stream body, CancellationToken ct = default)
    {
        actor.RequireLead("push records");
        string name;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct) ?? throw new NotFoundError($"There is no dataset {datasetId}.");
        var path = await SaveAsync(body, actor, ct);
        var job = await imports.StartAsync(new ImportJobParameters(path, name, ImageRoot: null, format, Mapping: null), actor, ct);
        var done = await jobs.RunHereAsync(job.Id, ct);
        if (done.Status != JobStatus.Completed)
            throw new ConflictError($"The push's import (job {job.Id}) ended {done.Status.ToString().ToLowerInvariant()}: {done.Error}");
        var summary = JsonSerializer.Deserialize<ImportSummary>(await File.ReadAllTextAsync(paths.ImportSummary(job.Id), ct), ImportService.Json)!;
        ImportService.RemoveUpload(paths, path); // a failed import keeps its upload, so resuming the job finds it
        return new PushResult(job.Id, summary.Imported, summary.SamplesPresent, summary.NewResponses, summary.RepeatedResponses, summary.Rejected);
    }

    // JSON lines or one JSON array, refused before anything is imported when it is over the limits of a call.
    private async Task<string> SaveAsync(Stream body, ClaimsPrincipal actor, CancellationToken ct)
    {
        using var limited = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            if (limited.Length + read > MaxBytes) throw new TooLargeError($"A push carries at most {MaxBytes / (1024 * 1024)} MB; split it into several calls.");
            limited.Write(buffer, 0, read);
        }
        if (limited.Length == 0) throw new InvalidInputError("The push is empty: send a JSON array of records or JSON lines.", "body");
        var records = CountRecords(limited.GetBuffer().AsSpan(0, (int)limited.Length));
        if (records > MaxRecords) throw new TooLargeError($"A push carries at most {MaxRecords:N0} records; this one has {records:N0}. Split it into several calls.");
        limited.Position = 0;
        return await imports.SaveUploadAsync(limited, SourceName, actor, ct);
    }

    // Lines that hold something for JSON lines; top-level elements for an array (a malformed array is the importer's to report).
    private static int CountRecords(ReadOnlySpan<byte> bytes)
    {
        var trimmed = bytes.TrimStart(" \t\r\n"u8);
        if (trimmed.Length == 0 || trimmed[0] != (byte)'[')
        {
            var count = 0;
            foreach (var line in new SpanLines(bytes)) if (line.Trim(" \t\r"u8).Length > 0) count++;
            return count;
        }
        var reader = new Utf8JsonReader(trimmed, new JsonReaderOptions { AllowTrailingCommas = false });
        var elements = 0;
        try
        {
            while (reader.Read())
                if (reader.CurrentDepth == 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
                    elements++;
        }
        catch (JsonException)
        {
        }
        return elements;
    }

    private ref struct SpanLines(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly SpanLines GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.IsEmpty) return false;
            var end = _rest.IndexOf((byte)'\n');
            if (end < 0)
            {
                Current = _rest;
                _rest = [];
            }
            else
            {
                Current = _rest[..end];
                _rest = _rest[(end + 1)..];
            }
            return true;
        }
    }
}
