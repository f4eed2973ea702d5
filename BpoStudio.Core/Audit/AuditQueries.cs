using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Audit;

public enum AuditKind
{
    All,
    Review,
    Approval,
    Export,
    Job,
    User,
    Other,
}

public sealed record AuditFilter(AuditKind Kind = AuditKind.All, string? User = null, string? Text = null, DateTime? From = null, DateTime? To = null);

public sealed record AuditRow(DateTime At, AuditKind Kind, string? User, string Action, string? Subject, string? Details);

/// <summary>One log over review events and audit entries (approvals, exports, jobs, user changes), newest first. Leads only.</summary>
public sealed class AuditQueries(IDbContextFactory<BpoDbContext> dbFactory)
{
    public async Task<IReadOnlyList<AuditRow>> SearchAsync(AuditFilter filter, ClaimsPrincipal actor, int skip = 0, int take = 100, CancellationToken ct = default)
    {
        actor.RequireLead("read the audit log");
        var rows = new List<AuditRow>(take);
        await foreach (var row in StreamAsync(filter, skip + take, ct))
            rows.Add(row);
        return rows.Skip(skip).ToList();
    }

    /// <summary>The whole filtered log as CSV (RFC 4180), streamed.</summary>
    public async Task WriteCsvAsync(Stream output, AuditFilter filter, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("export the audit log");
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await writer.WriteLineAsync("at,kind,user,action,subject,details");
        await foreach (var r in StreamAsync(filter, int.MaxValue, ct))
            await writer.WriteLineAsync(string.Join(',', r.At.ToString("O", CultureInfo.InvariantCulture), r.Kind.ToString(), Csv(r.User), Csv(r.Action), Csv(r.Subject), Csv(r.Details)));
    }

    // Both sources are read newest first and merged, so memory stays bounded however long the log is.
    private async IAsyncEnumerable<AuditRow> StreamAsync(AuditFilter filter, int limit, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var reviewDb = await dbFactory.CreateDbContextAsync(ct);
        await using var auditDb = await dbFactory.CreateDbContextAsync(ct);
        await using var reviews = (filter.Kind is AuditKind.All or AuditKind.Review ? ReviewRows(reviewDb, filter) : Empty()).GetAsyncEnumerator(ct);
        await using var entries = (filter.Kind == AuditKind.Review ? Empty() : AuditRows(auditDb, filter)).GetAsyncEnumerator(ct);
        var (hasReview, hasEntry) = (await reviews.MoveNextAsync(), await entries.MoveNextAsync());
        for (var emitted = 0; emitted < limit && (hasReview || hasEntry); emitted++)
        {
            if (hasReview && (!hasEntry || reviews.Current.At >= entries.Current.At))
            {
                yield return reviews.Current;
                hasReview = await reviews.MoveNextAsync();
            }
            else
            {
                yield return entries.Current;
                hasEntry = await entries.MoveNextAsync();
            }
        }
    }

    private static IAsyncEnumerable<AuditRow> ReviewRows(BpoDbContext db, AuditFilter filter)
    {
        var query = db.ReviewEvents.AsNoTracking();
        if (filter.User is { Length: > 0 } user) query = query.Where(e => e.UserName != null && e.UserName.Contains(user));
        if (filter.From is { } from) query = query.Where(e => e.At >= from);
        if (filter.To is { } to) query = query.Where(e => e.At < to);
        if (filter.Text is { Length: > 0 } text)
            query = query.Where(e => (e.Comment != null && e.Comment.Contains(text)) || (e.Reason != null && e.Reason.Contains(text)) || (e.TextAfter != null && e.TextAfter.Contains(text)));
        return query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).AsAsyncEnumerable()
            .Select(e => new AuditRow(e.At, AuditKind.Review, e.UserName ?? e.UserId, "review." + e.Action.ToString().ToLowerInvariant(),
                $"dataset {e.DatasetId} pair {e.PairId}", Describe(e)));
    }

    private static IAsyncEnumerable<AuditRow> AuditRows(BpoDbContext db, AuditFilter filter)
    {
        var query = db.AuditEntries.AsNoTracking();
        var prefix = filter.Kind switch
        {
            AuditKind.Approval => "version.", AuditKind.Export => "export.", AuditKind.Job => "job.", AuditKind.User => "user.", _ => null,
        };
        if (prefix is not null) query = query.Where(a => a.Action.StartsWith(prefix));
        if (filter.Kind == AuditKind.Other) query = query.Where(a => !a.Action.StartsWith("version.") && !a.Action.StartsWith("export.") && !a.Action.StartsWith("job.") && !a.Action.StartsWith("user."));
        if (filter.User is { Length: > 0 } user) query = query.Where(a => a.UserName != null && a.UserName.Contains(user));
        if (filter.From is { } from) query = query.Where(a => a.At >= from);
        if (filter.To is { } to) query = query.Where(a => a.At < to);
        if (filter.Text is { Length: > 0 } text) query = query.Where(a => (a.Subject != null && a.Subject.Contains(text)) || (a.Details != null && a.Details.Contains(text)));
        return query.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).AsAsyncEnumerable()
            .Select(a => new AuditRow(a.At, KindOf(a.Action), a.UserName, a.Action, a.Subject, a.Details));
    }

    private static AuditKind KindOf(string action) => action.Split('.')[0] switch
    {
        "version" => AuditKind.Approval, "export" => AuditKind.Export, "job" => AuditKind.Job, "user" => AuditKind.User, _ => AuditKind.Other,
    };

    private static string? Describe(Review.ReviewEvent e) =>
        string.Join("; ", new[] { e.Reason, e.Comment, e.TextAfter is null ? null : $"text: {e.TextAfter}", e.Undone ? "undone" : null }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } d ? d : null;

    private static async IAsyncEnumerable<AuditRow> Empty()
    {
        await Task.CompletedTask;
        yield break;
    }

    private static string Csv(string? value) => CsvCell(value);

    /// <summary>
    /// One CSV cell. A value a spreadsheet would evaluate (starting with = + - @, tab or carriage return) gets a leading
    /// apostrophe so it opens as text (OWASP's CSV-injection advice); separators and quotes are quoted as usual.
    /// </summary>
    internal static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
