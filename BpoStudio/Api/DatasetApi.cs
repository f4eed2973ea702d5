using System.Security.Claims;
using BpoStudio.Core.Datasets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

public sealed record NewDataset(string Name, string? Description);

public sealed record DatasetInfo(int Id, string Name, string? Description, DateTime CreatedAt, int Samples, int Pairs, int Reviewed);

public static class DatasetApi
{
    public static void MapDatasetApi(this RouteGroupBuilder api)
    {
        api.MapGet("/datasets", ListAsync).WithName("ListDatasets").WithSummary("Every dataset with its counts of samples, pairs and reviewed pairs.");
        api.MapGet("/datasets/{id:int}", GetAsync).WithName("GetDataset");
        api.MapPost("/datasets", CreateAsync).WithName("CreateDataset").RequireAuthorization(ApiScopes.Write).WithSummary("Makes an empty dataset (leads).");
    }

    private static async Task<Ok<IReadOnlyList<DatasetInfo>>> ListAsync(DatasetQueries datasets, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<DatasetInfo>>([.. (await datasets.ListAsync(ct)).Select(Info)]);

    private static async Task<Ok<DatasetInfo>> GetAsync(int id, DatasetQueries datasets, CancellationToken ct) =>
        TypedResults.Ok(Info((await datasets.ListAsync(ct)).FirstOrDefault(d => d.Id == id) ?? throw new Core.NotFoundError($"There is no dataset {id}.")));

    private static async Task<Created<DatasetInfo>> CreateAsync(NewDataset body, DatasetAdministration datasets, ClaimsPrincipal user, CancellationToken ct)
    {
        var made = await datasets.CreateAsync(user, body.Name, body.Description, ct);
        return TypedResults.Created($"/api/v1/datasets/{made.Id}", new DatasetInfo(made.Id, made.Name, made.Description, made.CreatedAt, 0, 0, 0));
    }

    private static DatasetInfo Info(DatasetSummary d) => new(d.Id, d.Name, d.Description, d.CreatedAt, d.Samples, d.Pairs, d.Reviewed);
}
