using System.Net;
using BpoStudio.Core.Data;
using BpoStudio.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Tests.Web;

[Collection(WebCollection.Name)]
public class ImageEndpointTests(AppFixture fixture)
{
    [Theory]
    [InlineData("/images/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/images/%2Fetc%2Fpasswd")]
    [InlineData("/images/bpostudio.db")]
    [InlineData("/images/..%2Fbpostudio.db")]
    [InlineData("/images/ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    public async Task RefusesAnythingButAStoredHash(string path)
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var response = await client.GetAsync(path);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path} answered {(int)response.StatusCode}");
        Assert.DoesNotContain("SQLite format", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ServesStoredImageAndThumbnail_WithCacheHeaders()
    {
        var hash = await AnyStoredHashAsync();
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);

        var original = await client.GetAsync($"/images/{hash}");
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal("image/png", original.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", original.Headers.CacheControl!.ToString());
        Assert.Equal($"\"{hash}\"", original.Headers.ETag!.Tag);

        var thumbnail = await client.GetAsync($"/images/{hash}/thumbnail/128");
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType!.MediaType);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/images/{hash}/thumbnail/4000")).StatusCode);
    }

    [Fact]
    public async Task UnknownHash_IsNotFound()
    {
        using var client = await fixture.App.CreateSignedInClientAsync(BpoAppFactory.AnnotatorEmail, BpoAppFactory.UserPassword);
        var response = await client.GetAsync("/images/" + new string('a', 64));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string> AnyStoredHashAsync()
    {
        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<BpoDbContext>>().CreateDbContextAsync();
        return await db.StoredImages.Select(i => i.Hash).FirstAsync();
    }
}
