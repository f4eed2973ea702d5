using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Import;

public static class ImportServiceCollectionExtensions
{
    /// <summary>Imports from files, folders and programs' pushes, as jobs.</summary>
    public static IServiceCollection AddImport(this IServiceCollection services)
    {
        services.AddSingleton<DatasetImporter>();
        services.AddSingleton<ImportFolders>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<RecordPush>();
        services.AddSingleton<Jobs.IJobHandler, ImportJobHandler>();
        return services;
    }
}
