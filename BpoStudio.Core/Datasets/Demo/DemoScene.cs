using SkiaSharp;

namespace BpoStudio.Core.Datasets.Demo;

public sealed record SceneObject(string Shape, string Colour, bool Large, float X, float Y);

/// <summary>A drawn scene whose contents are known exactly, so its questions have certain answers.</summary>
public sealed record DemoScene(string Background, IReadOnlyList<SceneObject> Objects)
{
    public const int Width = 640, Height = 480;

    private static readonly string[] Shapes = ["circle", "square", "triangle", "star"];
    private static readonly (string Name, SKColor Colour)[] Palette =
    [
        ("red", new SKColor(220, 40, 40)), ("blue", new SKColor(40, 80, 220)), ("green", new SKColor(40, 160, 60)),
        ("yellow", new SKColor(240, 200, 30)), ("purple", new SKColor(130, 50, 170)), ("orange", new SKColor(245, 130, 20)),
    ];
    private static readonly (string Name, SKColor Colour)[] Backgrounds =
    [
        ("white", new SKColor(250, 250, 250)), ("light grey", new SKColor(215, 215, 215)), ("beige", new SKColor(235, 225, 200)),
    ];

    public static DemoScene Generate(int seed)
    {
        var random = new Random(seed);
        var count = random.Next(2, 6);
        var objects = new List<SceneObject>(count);
        // Objects sit in distinct columns so "left of" is unambiguous.
        var columns = Enumerable.Range(0, 5).OrderBy(_ => random.Next()).Take(count).Order().ToArray();
        foreach (var column in columns)
        {
            var (colour, _) = Palette[random.Next(Palette.Length)];
            objects.Add(new SceneObject(Shapes[random.Next(Shapes.Length)], colour, random.Next(2) == 0,
                X: 64 + column * 128, Y: 140 + random.Next(3) * 100));
        }
        return new DemoScene(Backgrounds[random.Next(Backgrounds.Length)].Name, objects);
    }

    public byte[] RenderPng()
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        var canvas = surface.Canvas;
        canvas.Clear(Backgrounds.First(b => b.Name == Background).Colour);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        foreach (var o in Objects)
        {
            paint.Color = Palette.First(p => p.Name == o.Colour).Colour;
            var r = o.Large ? 52f : 30f;
            switch (o.Shape)
            {
                case "circle": canvas.DrawCircle(o.X, o.Y, r, paint); break;
                case "square": canvas.DrawRect(o.X - r, o.Y - r, 2 * r, 2 * r, paint); break;
                case "triangle": canvas.DrawPath(Polygon(o.X, o.Y, r, 3, -MathF.PI / 2), paint); break;
                default: canvas.DrawPath(Star(o.X, o.Y, r), paint); break;
            }
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static SKPath Polygon(float cx, float cy, float r, int sides, float start)
    {
        var path = new SKPath();
        for (var i = 0; i < sides; i++)
        {
            var a = start + i * 2 * MathF.PI / sides;
            var p = new SKPoint(cx + r * MathF.Cos(a), cy + r * MathF.Sin(a));
            if (i == 0) path.MoveTo(p); else path.LineTo(p);
        }
        path.Close();
        return path;
    }

    private static SKPath Star(float cx, float cy, float r)
    {
        var path = new SKPath();
        for (var i = 0; i < 10; i++)
        {
            var a = -MathF.PI / 2 + i * MathF.PI / 5;
            var radius = i % 2 == 0 ? r : r * 0.45f;
            var p = new SKPoint(cx + radius * MathF.Cos(a), cy + radius * MathF.Sin(a));
            if (i == 0) path.MoveTo(p); else path.LineTo(p);
        }
        path.Close();
        return path;
    }
}
