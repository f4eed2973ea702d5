using BpoStudio.Core.Storage;
using Microsoft.Net.Http.Headers;

namespace BpoStudio.Endpoints;

public static class ImageEndpoints
{
    private const string ImmutableCache = "private, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapImageEndpoints(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/images").RequireAuthorization();
        images.MapGet("/{hash}", ServeOriginal);
        images.MapGet("/{hash}/thumbnail/{size:int}", ServeThumbnailAsync);
        return app;
    }

    // Only a well-formed SHA-256 reaches the file system, so no request can name a path outside the store.
    private static IResult ServeOriginal(string hash, ImageStore store, HttpContext http)
    {
        if (!ImageStore.IsValidHash(hash)) return Results.BadRequest("Images are addressed by their SHA-256 hash.");
        var path = store.PathFor(hash);
        if (!File.Exists(path)) return Results.NotFound();
        Span<byte> header = stackalloc byte[12];
        using (var file = File.OpenRead(path)) file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        http.Response.Headers.CacheControl = ImmutableCache;
        return Results.File(path, ImageStore.SniffContentType(header), entityTag: new EntityTagHeaderValue($"\"{hash}\""), enableRangeProcessing: true);
    }

    private static async Task<IResult> ServeThumbnailAsync(string hash, int size, ImageStore store, HttpContext http, CancellationToken ct)
    {
        if (!ImageStore.IsValidHash(hash)) return Results.BadRequest("Images are addressed by their SHA-256 hash.");
        if (!ImageStore.ThumbnailSizes.Contains(size)) return Results.BadRequest($"Thumbnail size must be one of {string.Join(", ", ImageStore.ThumbnailSizes)}.");
        if (!store.Exists(hash)) return Results.NotFound();
        string path;
        try
        {
            path = await store.GetThumbnailPathAsync(hash, size, ct);
        }
        catch (InvalidDataException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "The image cannot be shown");
        }
        http.Response.Headers.CacheControl = ImmutableCache;
        return Results.File(path, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"{hash}-{size}\""));
    }
}
