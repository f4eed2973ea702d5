using System.Text.Json;
using BpoStudio.Core.Accounts;
using BpoStudio.Core.Bootstrapping;
using BpoStudio.Core.Data;
using BpoStudio.Core.Datasets;
using BpoStudio.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace BpoStudio.Cli;

/// <summary><c>generate</c>: a generation job run in this process through the same durable runner as the web app.</summary>
internal sealed class GenerateVerb : ICliVerb
{
    public string Name => "generate";
    public string Usage => "generate --dataset <name> --method model-free-injection|llm-injection|paraphrase|weakened-image:<transform>|image-pair:<transform> [--count 1] [--max-edits 2] " +
        "[--filter all|without-negatives|selection --samples 1,2,3] [--seed 0] [--weaken-image <n>] [--json]";
    public string Summary => "Bootstrap negatives for a dataset (resumable: an interrupted job continues with `generate --resume <job id>`).";
    public IReadOnlySet<string> Flags => new HashSet<string> { "json" };

    public async Task<int> RunAsync(IServiceProvider services, CliArguments args, TextWriter output, CancellationToken ct)
    {
        var jobs = services.GetRequiredService<JobService>();
        var runner = services.GetRequiredService<JobRunner>();
        long jobId;
        if (args.Option("resume") is { } resume)
        {
            jobId = long.TryParse(resume, out var id) ? id : throw new CliUsageException($"--resume takes a job id, not '{resume}'");
            await jobs.ResumeAsync(id, ActorChecks.CommandLine, ct);
        }
        else
        {
            var datasetId = await services.GetRequiredService<DatasetQueries>().IdByNameAsync(args.Required("dataset"), ct);
            var filter = args.Option("filter") switch
            {
                null or "all" => SampleFilter.All,
                "without-negatives" => SampleFilter.WithoutNegatives,
                "selection" => SampleFilter.Selection,
                var other => throw new CliUsageException($"--filter must be all, without-negatives or selection, not '{other}'"),
            };
            var sampleIds = args.Option("samples")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(id => long.TryParse(id, out var value) ? value : throw new CliUsageException($"--samples takes sample ids separated by commas, not '{id}'")).ToList();
            var parameters = new GenerationParameters(datasetId, filter,
                [new GenerationMethod(args.Required("method"), Int(args, "count", 1), Int(args, "max-edits", 2))], Int(args, "seed", 0), sampleIds,
                args.Option("weaken-image") is null ? null : Int(args, "weaken-image", 1));
            jobId = (await services.GetRequiredService<GenerationJobs>().StartAsync(parameters, ActorChecks.CommandLine, ct)).Id;
        }

        await runner.RunJobAsync(jobId, ct);
        var job = await jobs.GetAsync(jobId, ct) ?? throw new CliFailureException($"there is no job {jobId}");
        if (args.Flag("json"))
            await output.WriteLineAsync(JsonSerializer.Serialize(new { job = job.Id, status = job.Status.ToString(), job.ItemsTotal, job.ItemsDone, job.ItemsFailed, job.Error }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        else
            await output.WriteLineAsync($"Job {job.Id}: {job.Status}, {job.ItemsDone:N0} of {job.ItemsTotal:N0} samples, {job.ItemsFailed:N0} failed{(job.Error is null ? "" : $" ({job.Error})")}.");
        return job.Status == JobStatus.Completed ? 0 : 1;
    }

    private static int Int(CliArguments args, string name, int fallback) =>
        args.Option(name) is not { } text ? fallback
        : int.TryParse(text, out var value) ? value : throw new CliUsageException($"--{name} must be a whole number, not '{text}'");
}
