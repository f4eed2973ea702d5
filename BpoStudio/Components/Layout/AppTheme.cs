using MudBlazor;

namespace BpoStudio.Components.Layout;

public static class AppTheme
{
    // System fonts only: no web font can be fetched where the app may run.
    private static readonly string[] FontStack = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Ubuntu", "Cantarell", "Noto Sans", "DejaVu Sans", "sans-serif"];

    // Every colour meets WCAG 2.1 AA (4.5:1) for the text drawn on it and as text on the page: dark colours with white
    // text in light mode, light ones with black text in dark mode. Checked by the axe browser tests in both modes.
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3f51b5", Secondary = "#00796b", AppbarBackground = "#283593",
            Success = "#2e7d32", Warning = "#b45309", Error = "#c62828", Info = "#1565c0",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff", PrimaryContrastText = "#000000", Secondary = "#4db6ac", SecondaryContrastText = "#000000",
            Success = "#66bb6a", SuccessContrastText = "#000000", Warning = "#ffb74d", WarningContrastText = "#000000",
            Error = "#ef9a9a", ErrorContrastText = "#000000", Info = "#90caf9", InfoContrastText = "#000000",
            TextSecondary = "rgba(255,255,255,0.78)", ActionDefault = "rgba(255,255,255,0.78)",
        },
        Typography = new Typography { Default = new DefaultTypography { FontFamily = FontStack } },
    };
}
