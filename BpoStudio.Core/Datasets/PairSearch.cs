using System.Text;
using BpoStudio.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Core.Datasets;

/// <summary>
/// Free-text search over a pair's prompt and both answers through the database's full-text index (SQLite FTS5,
/// PostgreSQL tsvector): every word must occur, the last as a prefix. Text the index cannot split into words
/// (CJK runs, punctuation only) falls back to a substring scan.
/// </summary>
public static class PairSearch
{
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

    /// <summary>The substring scan the index replaces: kept for unsegmented scripts and as the benchmark's baseline.</summary>
    public static IQueryable<PreferencePair> Like(IQueryable<PreferencePair> query, string text)
    {
        var pattern = $"%{text}%";
        return query.Where(p => EF.Functions.Like(p.Sample!.Prompt, pattern)
            || EF.Functions.Like(p.ChosenResponse!.Text, pattern) || EF.Functions.Like(p.RejectedResponse!.Text, pattern));
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
