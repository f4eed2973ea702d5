using Microsoft.Extensions.DependencyInjection;

namespace BpoStudio.Core.Export;

public static class ExportServiceCollectionExtensions
{
    /// <summary>Exports in each trainer's format, as jobs, with the forecast of what a format leaves out.</summary>
    public static IServiceCollection AddExport(this IServiceCollection services)
    {
        services.AddSingleton<ExportSource>();
        services.AddSingleton<ExportRunner>();
        services.AddSingleton<ExportService>();
        services.AddSingleton<ExportForecast>();
        services.AddSingleton<Jobs.IJobHandler, ExportJobHandler>();
        return services;
    }
}
