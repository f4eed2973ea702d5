using System.Security.Claims;
using BpoStudio.Core;
using BpoStudio.Core.Import;
using BpoStudio.Core.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BpoStudio.Api;

public sealed record StoredImageResult(string Sha256, int Width, int Height, string ContentType, long Bytes);

public static class RecordApi
{
    public static void MapRecordApi(this RouteGroupBuilder api)
    {
        api.MapPut("/images/{sha256}", PutImageAsync).WithName("PutImage").RequireAuthorization(ApiScopes.Write)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Stores an image (the request body's bytes, any content type) under its SHA-256 (hex); records then name it as sha256:<hex>. Repeating it changes nothing.");
        api.MapPost("/datasets/{id:int}/records", PushAsync).WithName("PushRecords").RequireAuthorization(ApiScopes.Write)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Imports up to 10,000 records (the body: a JSON array or JSON lines, 64 MB, any content type) in an import format, merged into the dataset: a repeated push adds nothing.");
    }

    private static async Task<Ok<StoredImageResult>> PutImageAsync(string sha256, HttpRequest request, ImageUpload images, ClaimsPrincipal user, CancellationToken ct)
    {
        const long limit = ImageUpload.MaxBytes;
        if (request.ContentLength > limit) throw new TooLargeError($"An image may be at most {limit / (1024 * 1024)} MB.");
        request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = limit + 1;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > limit) throw new TooLargeError($"An image may be at most {limit / (1024 * 1024)} MB.");
        var stored = await images.PutAsync(user, sha256, buffer.ToArray(), ct);
        return TypedResults.Ok(new StoredImageResult(stored.Hash, stored.Width, stored.Height, stored.ContentType, stored.ByteSize));
    }

    private static async Task<Ok<PushResult>> PushAsync(int id, string? format, HttpRequest request, RecordPush push, ClaimsPrincipal user, CancellationToken ct)
    {
        if (request.ContentLength > RecordPush.MaxBytes) throw new TooLargeError($"A push carries at most {RecordPush.MaxBytes / (1024 * 1024)} MB; split it into several calls.");
        request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = RecordPush.MaxBytes + 1;
        var parsed = string.IsNullOrWhiteSpace(format) ? (ImportFormat?)null : ImportFormatNames.Parse(format);
        return TypedResults.Ok(await push.PushAsync(user, id, parsed, request.Body, ct));
    }
}
