using MudBlazor;

namespace BpoStudio.Components.Layout;

public static class AppTheme
{
    // System fonts only: no web font can be fetched where the app may run.
    private static readonly string[] FontStack = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Ubuntu", "Cantarell", "Noto Sans", "DejaVu Sans", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#3f51b5", Secondary = "#00897b", AppbarBackground = "#283593" },
        PaletteDark = new PaletteDark { Primary = "#8c9eff", Secondary = "#4db6ac" },
        Typography = new Typography { Default = new DefaultTypography { FontFamily = FontStack } },
    };
}
