using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Imaging;
using BpoStudio.Core.Review;
using BpoStudio.Core.Storage;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace BpoStudio.Tests.Infrastructure;

/// <summary>bUnit with MudBlazor, loose JS interop, a signed-in user, and the real Core services over SQLite.</summary>
public static class ComponentContext
{
    public static BunitContext Create(CoreServices? core = null, string userId = "ann-id", string role = Roles.Annotator)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
        if (core is not null)
        {
            ctx.Services.AddSingleton(core.Get<ReviewQueries>());
            ctx.Services.AddSingleton(core.Get<ReviewService>());
            ctx.Services.AddSingleton(core.Get<ReviewQueue>());
            ctx.Services.AddSingleton(core.Get<DatasetQueries>());
            ctx.Services.AddSingleton(core.Get<BpoStudio.Core.Triage.PairChecker>());
            ctx.Services.AddSingleton(core.Get<BpoStudio.Core.Triage.TriageQueries>());
            ctx.Services.AddSingleton(core.Get<ImageStore>());
            ctx.Services.AddSingleton(core.Get<BpoStudio.Core.Feedback.ErrorSpanService>());
            ctx.Services.AddSingleton(core.Get<BpoStudio.Core.Feedback.RatingService>());
            ctx.Services.AddSingleton(core.Get<BpoStudio.Core.Judging.JudgeHints>());
            ctx.Services.AddSingleton(core.Get<ImageWeakener>());
            ctx.Services.AddSingleton(core.Get<IServiceScopeFactory>());
        }
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, userId), new Claim(ClaimTypes.Role, role)], "test"));
        ctx.Services.AddCascadingValue(_ => Task.FromResult(new AuthenticationState(user)));
        ctx.AddAuthorization().SetAuthorized(userId).SetRoles(role);
        ctx.Render<MudPopoverProvider>();
        return ctx;
    }
}
