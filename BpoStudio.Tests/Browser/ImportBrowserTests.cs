using System.Text.Json;
using BpoStudio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ImportBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task LeadUploadsAFile_AndSeesTheSummary()
    {
        using var files = new TestDataFolder();
        var path = files.File("peers.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"id":"u1","prompt":"What is shown?","completions":[{"score":1,"response":"A red circle.","type":"gt"},{"score":0,"response":"A blue square.","type":"llm-hal"}]}""",
            """{"id":"u2", "prompt": broken json""",
            """{"id":"u3","prompt":"And now?","completions":[{"score":1,"response":"Two shapes.","type":"gt"},{"score":0,"response":"Five shapes.","type":"llm-hal"}]}""",
        ]);
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import" })).ToBeVisibleAsync();

        // InputFile starts listening for a chosen file in a JS call after its first render (which marks the element);
        // a file set before that is lost, so wait for it as a person's click on the button always does.
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=upload]')?._blazorInputFileNextFileId !== undefined", null, new() { Timeout = 10_000 });
        await page.GetByTestId("upload").SetInputFilesAsync(path);
        await Assertions.Expect(page.GetByTestId("chosen-file")).ToContainTextAsync("peers.jsonl");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("detected-format")).ToHaveTextAsync("Bpo");
        await page.GetByTestId("start-import").ClickAsync();

        var summary = page.GetByTestId("import-summary");
        await Assertions.Expect(summary).ToContainTextAsync("2 imported", new() { Timeout = 30_000 });
        await Assertions.Expect(summary).ToContainTextAsync("1 rejected");
        await Assertions.Expect(summary).ToContainTextAsync("rejected line 2");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("summary-download").ClickAsync());
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!));
        Assert.Equal(2, json.RootElement.GetProperty("imported").GetInt64());
        Assert.Equal("line 2", json.RootElement.GetProperty("rejected")[0].GetProperty("where").GetString());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "bpostudio-import.png") });
    }

    [Fact]
    public async Task LeadUploadsAZipOfAFileAndItsImages_TheImagesAreFound_WhereAPlainFileWarnsOfMissingImages()
    {
        using var files = new TestDataFolder();
        var json = JsonSerializer.Serialize(new[] { new { id = "z1", image = "pics/a.png", conversations = new[] { new { from = "human", value = "<image>\nWhat is it?" }, new { from = "gpt", value = "Shapes on a page." } } } });
        var plain = files.File("plain.json");
        await File.WriteAllTextAsync(plain, json);
        var zip = files.File("bundle.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var entry = archive.CreateEntry("bundle/llava.json").Open()) entry.Write(System.Text.Encoding.UTF8.GetBytes(json));
            using (var entry = archive.CreateEntry("bundle/pics/a.png").Open()) entry.Write(BpoStudio.Core.Datasets.Demo.DemoScene.Generate(11).RenderPng());
        }
        var page = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await page.GotoAsync("/import");
        await BrowserSession.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=upload]')?._blazorInputFileNextFileId !== undefined", null, new() { Timeout = 10_000 });

        await page.GetByTestId("upload").SetInputFilesAsync(plain);
        await Assertions.Expect(page.GetByTestId("chosen-file")).ToContainTextAsync("plain.json");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("no-image-folder")).ToBeVisibleAsync();

        await page.GetByTestId("upload").SetInputFilesAsync(zip);
        await Assertions.Expect(page.GetByTestId("chosen-file")).ToContainTextAsync("llava.json");
        await Assertions.Expect(page.GetByTestId("upload-status")).ToHaveCountAsync(0); // "Unpacking ..." while it worked, gone after
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Preview")).ToContainTextAsync("image pics/a.png: found");
        await Assertions.Expect(page.GetByTestId("no-image-folder")).ToHaveCountAsync(0);
        await page.GetByLabel("Dataset (new or existing)").FillAsync($"zip-{Guid.NewGuid():N}"[..12]);
        await page.GetByTestId("start-import").ClickAsync();

        var summary = page.GetByTestId("import-summary");
        await Assertions.Expect(summary).ToContainTextAsync("1 imported", new() { Timeout = 30_000 });
        await Assertions.Expect(summary).ToContainTextAsync("0 flagged");
    }
}
