using BpoStudio;
using BpoStudio.Cli;
using BpoStudio.Core;

if (CliApp.IsCommand(args))
    return await CliApp.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddBpoStudioCore();
builder.AddBpoStudioWeb();

var app = builder.Build();
app.UseBpoStudioWeb();
await app.RunAsync();
return 0;

public partial class Program;
