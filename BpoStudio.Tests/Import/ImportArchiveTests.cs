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

    /// <summary>A gzip stream declares no sizes: a megabyte holding a gibibyte of zeros must be stopped while it is written.</summary>
    private async Task<string> TarGzBombAsync(string name)
    {
        var path = _files.File(name);
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        await using var tar = new TarWriter(gzip);
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "llava.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Llava("a.png"))) });
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "zeros.bin") { DataStream = new ZeroStream(1L << 30) });
        return path;
    }

    [Fact]
    public async Task ATarGzBomb_IsRefusedWhileUnpacking_WithBoundedDisk_AndAnUploadLeavesNothing()
    {
        var bomb = await TarGzBombAsync("bomb.tar.gz");
        Assert.InRange(new FileInfo(bomb).Length, 1, 2 << 20); // about a megabyte: over 200 times smaller than what it holds

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ImportArchive.UnpackAsync(bomb, _files.File("tgz-bomb")));
        Assert.Contains("refused as a bomb", error.Message);
        var written = Directory.EnumerateFiles(_files.File("tgz-bomb"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.InRange(written, 0, 200L << 20); // stopped at the ratio to what was read, not after writing the gibibyte

        var imports = _core.Get<ImportService>();
        await using (var upload = File.OpenRead(bomb))
        {
            var saved = await imports.SaveUploadAsync(upload, "bomb.tar.gz", TestPrincipals.Lead);
            await Assert.ThrowsAsync<InvalidDataException>(() => imports.UnpackAsync(saved, TestPrincipals.Lead));
        }
        var uploads = _core.Get<BpoStudio.Core.DataPaths>().Uploads;
        Assert.Empty(Directory.EnumerateFileSystemEntries(uploads)); // the refused upload is gone at once
    }

    [Fact]
    public async Task WhatAnImportUnpacked_IsRemovedWhenItEnds_FromTheCliAndAfterAnUploadsJob()
    {
        var zip = Zip("bundle.zip", ("llava.json", System.Text.Encoding.UTF8.GetBytes(Llava("a.png"))), ("a.png", DemoScene.Generate(9).RenderPng()));
        var uploads = _core.Get<BpoStudio.Core.DataPaths>().Uploads;
        Assert.Equal(0, await CliApp.RunAsync(["import", zip, "--dataset", "cli-unpacked", $"--BpoStudio:DataDirectory={_core.DataDirectory}"], TextWriter.Null));
        Assert.Empty(Directory.EnumerateDirectories(uploads));

        var imports = _core.Get<ImportService>();
        string data;
        await using (var upload = File.OpenRead(zip))
            data = (await imports.UnpackAsync(await imports.SaveUploadAsync(upload, "bundle.zip", TestPrincipals.Lead), TestPrincipals.Lead)).DataFile;
        var job = await imports.StartAsync(new ImportJobParameters(data, "uploaded", Path.GetDirectoryName(data), null, null), TestPrincipals.Lead);
        await _core.Get<BpoStudio.Core.Jobs.JobRunner>().RunJobAsync(job.Id, CancellationToken.None);
        Assert.Equal(BpoStudio.Core.Jobs.JobStatus.Completed, (await _core.Get<BpoStudio.Core.Jobs.JobService>().GetAsync(job.Id))!.Status);
        Assert.Empty(Directory.EnumerateDirectories(uploads)); // the upload and what was unpacked from it
        Assert.Equal(2, Directory.EnumerateFiles(uploads, "import-*-summary.json").Count()); // each import's summary stays downloadable
    }

    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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
