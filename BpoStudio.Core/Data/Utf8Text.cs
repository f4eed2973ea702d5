using System.Text;
using System.Text.Unicode;

namespace BpoStudio.Core.Data;

/// <summary>
/// A text as UTF-8 bytes, the way SQLite stores it and JSON lines carry it: an export copies each text once out of its
/// row and decodes it to a string only for a consumer that needs one (Parquet). Always valid UTF-8.
/// </summary>
public readonly struct Utf8Text : IEquatable<Utf8Text>
{
    private readonly byte[]? _bytes;
    private readonly int _start;

    internal Utf8Text(byte[] bytes, int start, int length)
    {
        _bytes = bytes;
        _start = start;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => new(_bytes, _start, Length);

    public ReadOnlyMemory<byte> Memory => _bytes is null ? default : new(_bytes, _start, Length);

    /// <summary>As <see cref="string.IsNullOrWhiteSpace"/> on the decoded text.</summary>
    public bool IsBlank
    {
        get
        {
            var rest = Span;
            while (!rest.IsEmpty)
            {
                if (rest[0] < 0x80)
                {
                    if (!char.IsWhiteSpace((char)rest[0])) return false;
                    rest = rest[1..];
                    continue;
                }
                Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
                if (!Rune.IsWhiteSpace(rune)) return false;
                rest = rest[consumed..];
            }
            return true;
        }
    }

    public bool Contains(ReadOnlySpan<byte> utf8) => Span.IndexOf(utf8) >= 0;

    public static Utf8Text From(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text); // a lone surrogate becomes U+FFFD, as SQLite would have stored it
        return new Utf8Text(bytes, 0, bytes.Length);
    }

    public bool Equals(Utf8Text other) => Span.SequenceEqual(other.Span);
    public override bool Equals(object? obj) => obj is Utf8Text other && Equals(other);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    public static bool operator ==(Utf8Text left, Utf8Text right) => left.Equals(right);
    public static bool operator !=(Utf8Text left, Utf8Text right) => !left.Equals(right);

    public override string ToString() => Encoding.UTF8.GetString(Span);
}

/// <summary>
/// Copies texts out of database rows into shared 64 KB blocks (small enough to stay off the large-object heap): one
/// allocation for hundreds of texts instead of a string each. Blocks are never reused, so a text stays valid as long as
/// something holds it.
/// </summary>
internal sealed class Utf8TextBuffer
{
    private const int BlockSize = 64 * 1024;
    private byte[] _block = [];
    private int _used;

    public Utf8Text Copy(ReadOnlySpan<byte> utf8)
    {
        // What decoding to a string did before: an invalid sequence (a file SQLite was handed by another tool) becomes U+FFFD.
        if (!Utf8.IsValid(utf8)) return Utf8Text.From(Encoding.UTF8.GetString(utf8));
        var target = Reserve(utf8.Length, out var text);
        utf8.CopyTo(target);
        return text;
    }

    public Utf8Text Copy(string value)
    {
        var target = Reserve(Encoding.UTF8.GetByteCount(value), out var text);
        Encoding.UTF8.GetBytes(value, target);
        return text;
    }

    private Span<byte> Reserve(int length, out Utf8Text text)
    {
        if (length > BlockSize / 4)
        {
            var own = GC.AllocateUninitializedArray<byte>(length);
            text = new Utf8Text(own, 0, length);
            return own;
        }
        if (_used + length > _block.Length)
        {
            _block = GC.AllocateUninitializedArray<byte>(BlockSize);
            _used = 0;
        }
        text = new Utf8Text(_block, _used, length);
        _used += length;
        return _block.AsSpan(_used - length, length);
    }
}
