using Flowkit.Api.Ingress;
using Flowkit.Api.Triggers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class IngressServiceCollectionExtensions
{
    /// <summary>Webhook ingress: the Redis fast path, its PostgreSQL and in-process fallbacks, the hook directory.</summary>
    public static IServiceCollection AddFlowkitIngress(this IServiceCollection services)
    {
        services.AddOptions<IngressOptions>().BindConfiguration(IngressOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngressOptions>, IngressOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<IngressMetrics>();
        services.TryAddSingleton<TriggerCatalog>();
        services.TryAddSingleton<HookDirectory>();
        services.TryAddSingleton<LocalRateLimiter>();
        services.TryAddSingleton<ConfiguredWebhookSecrets>();
        services.TryAddSingleton<IWebhookSecretResolver, StoredWebhookSecrets>();
        services.TryAddSingleton<RedisIngress>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisIngress>());
        services.AddScoped<WebhookIngress>();
        services.AddScoped<RunResults>();
        services.TryAddSingleton<RunRequestPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<RunRequestPruner>());
        return services;
    }
}
