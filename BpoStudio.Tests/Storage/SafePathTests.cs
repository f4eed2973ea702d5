using BpoStudio.Core.Storage;
using BpoStudio.Tests.Infrastructure;

namespace BpoStudio.Tests.Storage;

public class SafePathTests
{
    [Theory]
    [InlineData("../secret.jpg")]
    [InlineData("images/../../secret.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\secret.jpg")]
    [InlineData("C:\\Windows\\win.ini")]
    [InlineData("")]
    public void Refuses_WhenPathEscapesRoot(string relative)
    {
        using var folder = new TestDataFolder();
        Assert.False(SafePath.TryResolve(folder.Path, relative, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Resolves_WhenPathStaysInsideRoot()
    {
        using var folder = new TestDataFolder();
        Assert.True(SafePath.TryResolve(folder.Path, "coco/train2017/x.jpg", out var full, out _));
        Assert.Equal(Path.Combine(folder.Path, "coco", "train2017", "x.jpg"), full);
        Assert.True(SafePath.TryResolve(folder.Path, "a/../b.jpg", out full, out _));
        Assert.Equal(Path.Combine(folder.Path, "b.jpg"), full);
    }

    [Fact]
    public void Refuses_WhenSymlinkPointsOutsideRoot()
    {
        using var root = new TestDataFolder();
        using var outside = new TestDataFolder();
        var secret = outside.File("secret.jpg");
        File.WriteAllText(secret, "x");
        File.CreateSymbolicLink(root.File("link.jpg"), secret);

        Assert.False(SafePath.TryResolve(root.Path, "link.jpg", out _, out var problem));
        Assert.Contains("link", problem);
    }

    [Fact]
    public void Refuses_WhenADirectoryOnTheWayIsALinkToOutside()
    {
        using var root = new TestDataFolder();
        using var outside = new TestDataFolder();
        File.WriteAllText(outside.File("secret.png"), "x");
        Directory.CreateDirectory(root.File("imgs"));
        Directory.CreateSymbolicLink(root.File("imgs/dirlink"), outside.Path);

        Assert.False(SafePath.TryResolve(root.Path, "imgs/dirlink/secret.png", out _, out var problem));
        Assert.Contains("link to outside", problem);
        Assert.False(SafePath.IsUnder(root.Path, root.File("imgs/dirlink/secret.png")));
        Assert.False(SafePath.IsUnder(root.Path, root.File("imgs/dirlink")));
    }

    [Fact]
    public void Resolves_WhenLinksStayInsideRoot_AndTheRootItselfIsALink()
    {
        using var folder = new TestDataFolder();
        Directory.CreateDirectory(folder.File("real/a"));
        File.WriteAllText(folder.File("real/a/x.png"), "x");
        Directory.CreateSymbolicLink(folder.File("real/alias"), "a"); // relative target, inside
        Directory.CreateSymbolicLink(folder.File("rootlink"), folder.File("real"));

        Assert.True(SafePath.TryResolve(folder.File("rootlink"), "alias/x.png", out var full, out var problem), problem);
        Assert.True(File.Exists(full));
        Assert.True(SafePath.IsUnder(folder.File("rootlink"), folder.File("real/a/x.png")));
    }

    [Fact]
    public void Refuses_LinkLoopsWithoutHanging()
    {
        using var root = new TestDataFolder();
        Directory.CreateSymbolicLink(root.File("a"), root.File("b"));
        Directory.CreateSymbolicLink(root.File("b"), root.File("a"));
        Assert.False(SafePath.TryResolve(root.Path, "a/x.png", out _, out var problem));
        Assert.Contains("link", problem);
    }

    [Fact]
    public void RefusesSiblingWithSamePrefix()
    {
        using var folder = new TestDataFolder();
        var root = Path.Combine(folder.Path, "images");
        Directory.CreateDirectory(root);
        Assert.False(SafePath.IsUnder(root, Path.Combine(folder.Path, "images-other", "x.jpg")));
    }
}
