using BpoStudio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BpoStudio.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class ImportFoldersBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AnAdminAllowsAFolder_AndALeadImportsFromItWithoutARestart()
    {
        using var folder = new TestDataFolder();
        await File.WriteAllTextAsync(folder.File("served.jsonl"),
            """{"id":"f1","prompt":"What is shown?","completions":[{"score":1,"response":"A red circle.","type":"gt"},{"score":0,"response":"A blue square.","type":"llm-hal"}]}""" + "\n");
        var admin = await fixture.SignedInPageAsync(BpoAppFactory.AdminEmail, BpoAppFactory.AdminPassword);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Import folders" }).ClickAsync();
        await BrowserSession.WaitForCircuitAsync(admin);

        await admin.GetByLabel("Absolute path on the server").FillAsync("relative/path");
        await admin.GetByTestId("add-folder").ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync("not an absolute path");

        await admin.GetByLabel("Absolute path on the server").FillAsync(folder.Path);
        await admin.GetByTestId("add-folder").ClickAsync();
        var table = admin.GetByLabel("Allowed import folders");
        await Assertions.Expect(table).ToContainTextAsync(folder.Path);
        await Assertions.Expect(table).ToContainTextAsync("by " + BpoAppFactory.AdminEmail);

        var lead = await fixture.SignedInPageAsync(BpoAppFactory.LeadEmail, BpoAppFactory.UserPassword);
        await lead.GotoAsync("/import");
        await BrowserSession.WaitForCircuitAsync(lead);
        await lead.GetByLabel("Allowed folder").ClickAsync();
        await lead.GetByRole(AriaRole.Option, new() { Name = folder.Path }).ClickAsync();
        await lead.GetByLabel("File", new() { Exact = true }).ClickAsync();
        await lead.GetByRole(AriaRole.Option, new() { Name = "served.jsonl" }).ClickAsync();
        await Assertions.Expect(lead.GetByTestId("chosen-file")).ToContainTextAsync("served.jsonl");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(lead.GetByTestId("detected-format")).ToHaveTextAsync("Bpo");

        // Removed, the folder is closed to the page the lead still has open.
        await admin.GetByRole(AriaRole.Button, new() { Name = $"Remove {folder.Path}" }).ClickAsync();
        await Assertions.Expect(admin.Locator("td code", new() { HasText = folder.Path })).ToHaveCountAsync(0);
        await lead.GetByTestId("start-import").ClickAsync();
        await Assertions.Expect(lead.Locator(".mud-snackbar")).ToContainTextAsync("outside the folders an admin allowed");
    }
}
