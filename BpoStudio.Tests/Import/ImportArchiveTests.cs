using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using BpoStudio.Cli;
using BpoStudio.Core.Datasets.Demo;
using BpoStudio.Core.Import;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Import;

/// <summary>Archives holding a data file and its images, for users with only a browser: unpacked under limits, nothing outside their folder.</summary>
public class ImportArchiveTests : IAsyncLifetime
{
    private readonly TestDataFolder _files = new();
    private CoreServices _core = null!;

    public async Task InitializeAsync() => _core = await CoreServices.StartAsync();

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        _files.Dispose();
    }

    private static string Llava(string image) => JsonSerializer.Serialize(new[]
    {
        new { id = "r0", image, conversations = new[] { new { from = "human", value = "<image>\nWhat is it?" }, new { from = "gpt", value = "Shapes." } } },
    });

    private string Zip(string name, params (string Entry, byte[] Bytes)[] entries)
    {
        var path = _files.File(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, bytes) in entries)
            using (var stream = zip.CreateEntry(entry, CompressionLevel.Optimal).Open()) stream.Write(bytes);
        return path;
    }

    [Fact]
    public async Task AZipOfTheFileAndItsImages_ImportsWithTheArchivesFolderAsImageRoot_AlsoFromTheCli()
    {
        var zip = Zip("bundle.zip", ("data/llava.json", System.Text.Encoding.UTF8.GetBytes(Llava("img/a.png"))), ("data/img/a.png", DemoScene.Generate(7).RenderPng()));

        var unpacked = await ImportArchive.UnpackAsync(zip, _files.File("out"));
        var summary = await _core.Get<DatasetImporter>().ImportAsync(new ImportRequest(unpacked.DataFile, "zipped", unpacked.ImageRoot));

        Assert.Equal(("llava.json", 2), (Path.GetFileName(unpacked.DataFile), unpacked.Entries));
        Assert.Equal((1, 1, 0), (summary.Imported, summary.ImagesStored, summary.Flagged));

        var output = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["import", zip, "--dataset", "zipped-cli", "--json", $"--BpoStudio:DataDirectory={_core.DataDirectory}"], output));
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal((1, 0), (json.RootElement.GetProperty("imported").GetInt64(), json.RootElement.GetProperty("flagged").GetInt64()));
    }

    [Fact]
    public async Task ATarGz_Imports_AndALinkEntryIsRefused()
    {
        var path = _files.File("bundle.tar.gz");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gzip))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "llava.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Llava("a.png"))) });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "a.png") { DataStream = new MemoryStream(DemoScene.Generate(8).RenderPng()) });
        }
        var unpacked = await ImportArchive.UnpackAsync(path, _files.File("tgz"));
        Assert.Equal(_files.File("tgz"), unpacked.ImageRoot);

        var linked = _files.File("linked.tar");
        await using (var file = File.Create(linked))
        await using (var tar = new TarWriter(file))
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "img") { LinkName = "/etc" });
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(linked, _files.File("linked")));
        Assert.Contains("'img' is a SymbolicLink", error.Message);
    }

    [Theory]
    [InlineData("../escape.json")]
    [InlineData("/etc/escape.json")]
    [InlineData("a/../../escape.json")]
    public async Task AnEntryLeavingTheArchivesFolder_RefusesTheArchive_NamingTheEntry(string entry)
    {
        var zip = Zip("slip.zip", ("llava.json", System.Text.Encoding.UTF8.GetBytes(Llava("a.png"))), (entry, "{}"u8.ToArray()));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(zip, _files.File("slip")));
        Assert.Contains($"'{entry}' would be written outside", error.Message);
        Assert.False(File.Exists(_files.File("escape.json")));
    }

    [Fact]
    public async Task AZipBomb_IsRefusedByItsCompressionRatio()
    {
        var zip = Zip("bomb.zip", ("llava.json", System.Text.Encoding.UTF8.GetBytes(Llava("a.png"))), ("zeros.bin", new byte[50 * 1024 * 1024]));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(zip, _files.File("bomb")));
        Assert.Contains("zip bomb", error.Message);
    }

    [Fact]
    public async Task AnArchiveWithoutADataFile_OrWithTwo_IsAClearError()
    {
        var none = Zip("none.zip", ("a.png", DemoScene.Generate(9).RenderPng()));
        Assert.Contains("holds no .json", (await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(none, _files.File("none")))).Message);
        var two = Zip("two.zip", ("a.json", "[]"u8.ToArray()), ("b.jsonl", "{}"u8.ToArray()));
        Assert.Contains("several data files (a.json, b.jsonl)", (await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(two, _files.File("two")))).Message);
    }
}
