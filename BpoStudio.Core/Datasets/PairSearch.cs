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

    /// <summary>The tokenizer of SQLite's search tables (migration Search): the few-pair match uses the same.</summary>
    public const string SqliteTokenizer = "unicode61 remove_diacritics 2";

    public static IQueryable<PreferencePair> Apply(BpoDbContext db, IQueryable<PreferencePair> query, string text)
    {
        if (IndexWords(text) is not { } words) return Like(query, text);
        IQueryable<long> samples, responses;
#pragma warning disable EF1003 // the SQL pieces are fixed table and column names; the words are parameters
        if (db.Database.IsSqlite())
        {
            // The index's matches, and the rows a large import left for it to catch up on (SearchIndex) by substring.
            object[] values = [MatchQuery(words), .. Patterns(words)];
            samples = db.Database.SqlQueryRaw<long>(
                """SELECT rowid AS "Value" FROM "SampleSearch" WHERE "SampleSearch" MATCH {0} UNION ALL """ + SearchIndex.Behind("Samples", "Prompt", words.Count, 1), values);
            responses = db.Database.SqlQueryRaw<long>(
                """SELECT rowid AS "Value" FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {0} UNION ALL """ + SearchIndex.Behind("Responses", "Text", words.Count, 1), values);
        }
#pragma warning restore EF1003
        else
        {
            var tsquery = TsQuery(words);
            samples = db.Database.SqlQuery<long>($"""SELECT "Id" AS "Value" FROM "Samples" WHERE to_tsvector('simple', "Prompt") @@ to_tsquery('simple', {tsquery})""");
            responses = db.Database.SqlQuery<long>($"""SELECT "Id" AS "Value" FROM "Responses" WHERE to_tsvector('simple', "Text") @@ to_tsquery('simple', {tsquery})""");
        }
        return query.Where(p => samples.Contains(p.SampleId) || responses.Contains(p.ChosenResponseId) || responses.Contains(p.RejectedResponseId));
    }

    /// <summary>
    /// Whether SQLite's index holds at least <see cref="CommonMatches"/> answers with these whole words (reading no more
    /// than that many); such a search matches whole words only, since its prefixes would only add more matches. Collecting every match of such a search costs a scan of its whole posting list per query, so the
    /// queue walks <see cref="CandidatePagesAsync"/> instead. PostgreSQL plans this itself (a bitmap of the GIN index).
    /// </summary>
    public static async Task<bool> IsCommonAsync(BpoDbContext db, string text, CancellationToken ct, int commonMatches = CommonMatches)
    {
        if (!db.Database.IsSqlite() || IndexWords(text) is not { } words) return false;
        var match = WholeWords(words);
        var found = await db.Database.SqlQuery<int>($"""
            SELECT COUNT(*) AS "Value" FROM (SELECT 1 FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {match} LIMIT {commonMatches})
            """).SingleAsync(ct);
        return found >= commonMatches;
    }

    /// <summary>The substring scan the index replaces: kept for unsegmented scripts and as the benchmark's baseline.</summary>
    public static IQueryable<PreferencePair> Like(IQueryable<PreferencePair> query, string text)
    {
        var pattern = LikePattern.Containing(text);
        return query.Where(p => EF.Functions.Like(p.Sample!.Prompt, pattern, LikePattern.Escape)
            || EF.Functions.Like(p.ChosenResponse!.Text, pattern, LikePattern.Escape) || EF.Functions.Like(p.RejectedResponse!.Text, pattern, LikePattern.Escape));
    }

    /// <summary>
    /// The answers (then the prompts) that hold the words, a page of ids at a time in the index's own rowid order: the
    /// first page of a common search costs a few index reads, however many millions of texts match. (Joining the pairs
    /// in the same statement made SQLite step the whole posting list; the caller matches a page to pairs instead.)
    /// </summary>
    public static async IAsyncEnumerable<(bool Prompts, IReadOnlyList<long> Ids)> CandidatePagesAsync(BpoDbContext db, string text,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, int pageSize = 512)
    {
        // Whole words: a prefix query makes FTS5 merge the posting lists of every word with that prefix on each call,
        // about 16 ms per million texts, while a common word's own list is read only as far as the page needs.
        var words = Words(text);
        var match = WholeWords(words);
        var patterns = Patterns(words);
        foreach (var prompts in new[] { false, true })
        {
            long after = 0;
            while (true)
            {
                var page = await (prompts
                    ? db.Database.SqlQuery<long>($"""SELECT rowid AS "Value" FROM "SampleSearch" WHERE "SampleSearch" MATCH {match} AND rowid > {after} ORDER BY rowid LIMIT {pageSize}""")
                    : db.Database.SqlQuery<long>($"""SELECT rowid AS "Value" FROM "ResponseSearch" WHERE "ResponseSearch" MATCH {match} AND rowid > {after} ORDER BY rowid LIMIT {pageSize}""")).ToListAsync(ct);
                if (page.Count > 0) yield return (prompts, page);
                if (page.Count < pageSize) break;
                after = page[^1];
            }
            // Then the rows still waiting for the index, in the same order (none once it has caught up).
            var (table, column) = prompts ? ("Samples", "Prompt") : ("Responses", "Text");
            after = 0;
            while (true)
            {
#pragma warning disable EF1003 // fixed table and column names; the words are parameters
                var page = await db.Database.SqlQueryRaw<long>(SearchIndex.Behind(table, column, patterns.Length, 0)
                    + $$""" AND "Id" > {{{patterns.Length}}} ORDER BY "Id" LIMIT {{{patterns.Length + 1}}}""", [.. patterns, after, pageSize]).ToListAsync(ct);
#pragma warning restore EF1003
                if (page.Count > 0) yield return (prompts, page);
                if (page.Count < pageSize) break;
                after = page[^1];
            }
        }
    }

    /// <summary>
    /// How the queue matches a search on PostgreSQL, chosen per search. Its GIN index answers "which texts hold these
    /// words" only as a whole bitmap: for a word most texts hold, building it costs about 200 ms per million, and with
    /// the texts in IN subqueries the planner walked every pending pair testing each (265 ms p95 for a rare word, 1 s
    /// for a common one at 1M). A word found among the first pending pairs is matched pair by pair as the queue walks
    /// (a few pairs in); a rarer one's texts are fetched first, up to <paramref name="cap"/>, and matched by id.
    /// Null when the text is not for the index (unsegmented scripts), or on SQLite, whose queue walks its own index.
    /// </summary>
    public static async Task<ResolvedSearch?> ResolveOnPostgresAsync(BpoDbContext db, int datasetId, string text, int probePairs, int cap, CancellationToken ct)
    {
        if (db.Database.IsSqlite() || IndexWords(text) is not { } words) return null;
        var byRow = ResolvedSearch.ByRow(TsQuery(words));
        var front = db.Pairs.Where(p => p.DatasetId == datasetId && p.Status == PairStatus.Pending).OrderBy(p => p.Id).Take(probePairs);
        if (probePairs > 0 && await byRow.Apply(front).AnyAsync(ct)) return byRow;
        var samples = await db.Database.SqlQuery<long>($"""
            SELECT "Id" AS "Value" FROM "Samples" WHERE "DatasetId" = {datasetId} AND to_tsvector('simple', "Prompt") @@ to_tsquery('simple', {byRow.TsQuery}) LIMIT {cap + 1}
            """).ToArrayAsync(ct);
        var responses = await db.Database.SqlQuery<long>($"""
            SELECT "Id" AS "Value" FROM "Responses" WHERE to_tsvector('simple', "Text") @@ to_tsquery('simple', {byRow.TsQuery}) LIMIT {cap + 1}
            """).ToArrayAsync(ct);
        return samples.Length > cap || responses.Length > cap ? byRow : byRow with { SampleIds = samples, ResponseIds = responses };
    }

    /// <summary>
    /// Which of a handful of pairs (a reviewer's held sample) the search matches. Asking the index would collect every
    /// text that holds the words (a whole posting list per serve: 190 ms at 200,000 pairs for a common word on SQLite,
    /// a second at 1M on PostgreSQL), so each pair's own texts are tested: PostgreSQL tokenizes them in the query;
    /// SQLite reads them and matches them in a connection-local FTS5 table made like the index (FTS5 has no function
    /// that matches one string), with the query the index would be asked.
    /// </summary>
    public static async Task<List<long>> MatchingFewAsync(BpoDbContext db, IReadOnlyCollection<long> pairIds, string text, CancellationToken ct)
    {
        var few = db.Pairs.Where(p => pairIds.Contains(p.Id));
        if (IndexWords(text) is not { } words) return await Like(few, text).Select(p => p.Id).ToListAsync(ct);
        if (!db.Database.IsSqlite()) return await ResolvedSearch.ByRow(TsQuery(words)).Apply(few).Select(p => p.Id).ToListAsync(ct);
        var pairs = await few.Select(p => new { p.Id, p.Sample!.Prompt, Chosen = p.ChosenResponse!.Text, Rejected = p.RejectedResponse!.Text }).ToListAsync(ct);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        await db.Database.OpenConnectionAsync(ct); // a temporary table lives as long as its connection: this one, outside a transaction
        try
        {
            await SqlCommands.ExecuteAsync(connection, transaction,
                $"""CREATE VIRTUAL TABLE IF NOT EXISTS temp."FewSearch" USING fts5("Text", tokenize='{SqliteTokenizer}'); DELETE FROM temp."FewSearch";""", ct);
            var texts = pairs.SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected }).ToList();
            for (var row = 0; row < texts.Count; row++)
                await SqlCommands.ExecuteAsync(connection, transaction, """INSERT INTO temp."FewSearch" (rowid, "Text") VALUES (@row, @text)""", ct, ("row", row), ("text", texts[row]));
            await using var command = SqlCommands.Create(connection, transaction, """SELECT rowid FROM temp."FewSearch" WHERE "FewSearch" MATCH @match""", ("match", MatchQuery(words)));
            var matching = new SortedSet<long>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) matching.Add(pairs[(int)(reader.GetInt64(0) / 3)].Id); // three texts a pair, in the order read
            await SqlCommands.ExecuteAsync(connection, transaction, """DELETE FROM temp."FewSearch";""", ct);
            return [.. matching];
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // The words the index is asked for; null when it cannot split the text (none, or a script written without spaces).
    private static List<string>? IndexWords(string text) => Words(text) is { Count: > 0 } words && !text.Any(IsUnsegmented) ? words : null;

    // SQLite's: every word whole, quoted, the last a prefix.
    private static string MatchQuery(List<string> words) => string.Join(' ', words.Select((w, i) => $"\"{w}\"" + (i == words.Count - 1 ? "*" : "")));

    private static string TsQuery(List<string> words) => string.Join(" & ", words.Select((w, i) => w + (i == words.Count - 1 ? ":*" : "")));

    private static object[] Patterns(List<string> words) => [.. words.Select(LikePattern.Containing)];

    private static string WholeWords(List<string> words) => string.Join(' ', words.Select(w => $"\"{w}\""));

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

/// <summary>A PostgreSQL search resolved for the queue: by the ids of the texts that hold its words, or pair by pair when those are many.</summary>
public sealed record ResolvedSearch(string TsQuery, long[]? SampleIds, long[]? ResponseIds)
{
    public static ResolvedSearch ByRow(string tsQuery) => new(tsQuery, null, null);

    public IQueryable<PreferencePair> Apply(IQueryable<PreferencePair> query)
    {
        if (SampleIds is { } samples && ResponseIds is { } responses)
            return query.Where(p => samples.Contains(p.SampleId) || responses.Contains(p.ChosenResponseId) || responses.Contains(p.RejectedResponseId));
        var words = TsQuery;
        return query.Where(p => EF.Functions.ToTsVector("simple", p.Sample!.Prompt).Matches(EF.Functions.ToTsQuery("simple", words))
            || EF.Functions.ToTsVector("simple", p.ChosenResponse!.Text).Matches(EF.Functions.ToTsQuery("simple", words))
            || EF.Functions.ToTsVector("simple", p.RejectedResponse!.Text).Matches(EF.Functions.ToTsQuery("simple", words)));
    }
}
