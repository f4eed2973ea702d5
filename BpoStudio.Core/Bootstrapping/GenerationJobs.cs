using System.Security.Claims;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Injection;
using BpoStudio.Core.Jobs;

namespace BpoStudio.Core.Bootstrapping;

/// <summary>Starting a generation job, for leads: the page, the CLI and the API check and queue it here.</summary>
public sealed class GenerationJobs(JobService jobs, LlmBackend llm)
{
    public async Task<Job> StartAsync(GenerationParameters parameters, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        actor.RequireLead("generate negatives");
        var valid = parameters.Validated(llm.AvailableMethods);
        return await jobs.CreateAsync(JobKind.Generate, valid.DatasetId, valid.ToJson(), actor, ct);
    }
}
