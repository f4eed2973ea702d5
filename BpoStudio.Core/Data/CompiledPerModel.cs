using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace BpoStudio.Core.Data;

/// <summary>
/// An EF Core compiled query for whichever model runs it. A compiled query binds to the first model it runs with, and
/// SQLite's and PostgreSQL's contexts have models of their own: the app runs one, the tests run both in one process.
/// </summary>
internal sealed class CompiledPerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> byModel = new();
    private readonly ConditionalWeakTable<IModel, TQuery>.CreateValueCallback create = _ => compile();

    public TQuery For(DbContext db) => byModel.GetValue(db.Model, create);
}
