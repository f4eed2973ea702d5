using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Datasets;

public static class DatasetsServiceCollectionExtensions
{
    /// <summary>Datasets, their listing and the demo data seeded on first start.</summary>
    public static IServiceCollection AddDatasets(this IServiceCollection services)
    {
        services.AddSingleton<DatasetQueries>();
        services.AddSingleton<DatasetAdministration>();
        services.AddSingleton<Demo.DemoSeeder>();
        services.AddSingleton<SearchIndexer>();
        return services;
    }
}
