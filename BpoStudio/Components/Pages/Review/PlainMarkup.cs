using Microsoft.AspNetCore.Components;

namespace BpoStudio.Components.Pages.Review;

/// <summary>
/// MudBlazor's markup for display-only pieces of the review page, without their components. The page is open all day
/// in every annotator's browser, and each component costs its circuit about 6 KB (two render buffers of 64 frames,
/// attribute tables, its state): text, stacks, papers, cards and chips with nothing to do are written as their markup,
/// with MudBlazor's classes, so they look the same.
/// </summary>
internal static class PlainMarkup
{
    /// <summary>A small chip (MudChip, Size.Small); <paramref name="color"/> is MudBlazor's colour name: success, warning, error, default.</summary>
    public static RenderFragment Chip(string text, string color = "default", bool outlined = false, string? testId = null) => builder =>
    {
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", "mud-chip-container");
        builder.OpenElement(2, "div");
        builder.AddAttribute(3, "class", $"mud-chip {(outlined ? "mud-chip-outlined" : "mud-chip-filled")} mud-chip-size-small mud-chip-color-{color}");
        if (testId is not null) builder.AddAttribute(4, "data-testid", testId);
        builder.OpenElement(5, "span");
        builder.AddAttribute(6, "class", "mud-chip-content");
        builder.AddContent(7, text);
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
    };
}
