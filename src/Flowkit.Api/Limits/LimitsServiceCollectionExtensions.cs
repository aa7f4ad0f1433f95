using Flowkit.Definitions;

namespace Microsoft.Extensions.DependencyInjection;

public static class LimitsServiceCollectionExtensions
{
    /// <summary>The definition limits and workspace quotas of <c>Flowkit:Limits</c> (docs/security.md); a bad value stops start-up naming the key.</summary>
    public static IServiceCollection AddFlowkitLimits(this IServiceCollection services)
    {
        services.AddOptions<DefinitionLimits>().BindConfiguration(DefinitionLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
