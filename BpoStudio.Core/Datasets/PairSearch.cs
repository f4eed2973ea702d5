using System.Text;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// Free-text search over a pair's prompt and both answers through the database's full-text index (SQLite FTS5,
/// PostgreSQL tsvector): every word must occur, the last as a prefix. Text the index cannot split into words
/// (CJK runs, punctuation only) falls back to a substring scan.
/// </summary>
public static class PairSearch
{
    /// <summary>Matches at or above which a search counts as common (see <see cref="IsCommonAsync"/>).</summary>
    public const int CommonMatches = 20_000;

    public static IQueryable<PreferencePair> Apply(BpoDbContext db, IQueryable<PreferencePair> query, string text)
    {
        var words = Words(text);
        if (words.Count == 0 || text.Any(IsUnsegmented)) return Like(query, text);
        IQueryable<long> samples, responses;
        if (db.Database.IsSqlite())
        {
            var match = string.Join(' ', words.Select((w, i) => $"\"{w}\"" + (i == words.Count - 1 ? "*" : "")));
            samples = db.Database.SqlQuery<long>($"""SELECT rowid AS "Value" FROM "SampleSearch" WHERE "SampleSearch" MATCH {match}""");
            responses = db.Database.SqlQuery<long>($"""SELECT rowid AS "Value" FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {match}""");
        }
        else
        {
            var tsquery = string.Join(" & ", words.Select((w, i) => w + (i == words.Count - 1 ? ":*" : "")));
            samples = db.Database.SqlQuery<long>($"""SELECT "Id" AS "Value" FROM "Samples" WHERE to_tsvector('simple', "Prompt") @@ to_tsquery('simple', {tsquery})""");
            responses = db.Database.SqlQuery<long>($"""SELECT "Id" AS "Value" FROM "Responses" WHERE to_tsvector('simple', "Text") @@ to_tsquery('simple', {tsquery})""");
        }
        return query.Where(p => samples.Contains(p.SampleId) || responses.Contains(p.ChosenResponseId) || responses.Contains(p.RejectedResponseId));
    }

    /// <summary>
    /// Whether SQLite's index holds at least <see cref="CommonMatches"/> answers with these words (reading no more than
    /// that many). Collecting every match of such a search costs a scan of its whole posting list per query, so the
    /// queue walks <see cref="CandidatePagesAsync"/> instead. PostgreSQL plans this itself (a bitmap of the GIN index).
    /// </summary>
    public static async Task<bool> IsCommonAsync(BpoDbContext db, string text, CancellationToken ct, int commonMatches = CommonMatches)
    {
        var words = Words(text);
        if (!db.Database.IsSqlite() || words.Count == 0 || text.Any(IsUnsegmented)) return false;
        var match = string.Join(' ', words.Select((w, i) => $"\"{w}\"" + (i == words.Count - 1 ? "*" : "")));
        var found = await db.Database.SqlQuery<int>($"""
            SELECT COUNT(*) AS "Value" FROM (SELECT 1 FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {match} LIMIT {commonMatches})
            """).SingleAsync(ct);
        return found >= commonMatches;
    }

    /// <summary>The substring scan the index replaces: kept for unsegmented scripts and as the benchmark's baseline.</summary>
    public static IQueryable<PreferencePair> Like(IQueryable<PreferencePair> query, string text)
    {
        var pattern = $"%{text}%";
        return query.Where(p => EF.Functions.Like(p.Sample!.Prompt, pattern)
            || EF.Functions.Like(p.ChosenResponse!.Text, pattern) || EF.Functions.Like(p.RejectedResponse!.Text, pattern));
    }

    /// <summary>
    /// The dataset's pairs whose rejected answer, chosen answer or prompt holds the words, a page at a time, driven from
    /// the index in its own (rowid) order and joined to the pairs through their foreign-key indexes: the first page of a
    /// common search costs a few index reads, however many millions of pairs match.
    /// </summary>
    public static async IAsyncEnumerable<IReadOnlyList<long>> CandidatePagesAsync(BpoDbContext db, int datasetId, string text,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, int pageSize = 512)
    {
        var words = Words(text);
        var match = string.Join(' ', words.Select((w, i) => $"\"{w}\"" + (i == words.Count - 1 ? "*" : "")));
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync(ct);
        foreach (var (index, column) in new[] { ("ResponseSearch", "RejectedResponseId"), ("ResponseSearch", "ChosenResponseId"), ("SampleSearch", "SampleId") })
        {
            long after = 0;
            while (true)
            {
                var page = new List<long>(pageSize);
                await using (var command = SqlCommands.Create(connection, db.Database.CurrentTransaction?.GetDbTransaction(), $"""
                    SELECT t.rowid, p."Id" FROM "{index}" t CROSS JOIN "Pairs" p ON p."{column}" = t.rowid
                    WHERE t."{index}" MATCH @match AND t.rowid > @after AND p."DatasetId" = @dataset ORDER BY t.rowid LIMIT @take
                    """, ("match", match), ("after", after), ("dataset", datasetId), ("take", pageSize)))
                await using (var reader = await command.ExecuteReaderAsync(ct))
                    while (await reader.ReadAsync(ct))
                    {
                        after = reader.GetInt64(0);
                        page.Add(reader.GetInt64(1));
                    }
                if (page.Count > 0) yield return page;
                if (page.Count < pageSize) break;
            }
        }
    }

    // Letters and digits only, lower case: nothing of the query syntax of either engine survives.
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(c)) word.Append(char.ToLowerInvariant(c));
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    private static bool IsUnsegmented(char c) => Scripts.IsWithoutSpaces(c);
}
