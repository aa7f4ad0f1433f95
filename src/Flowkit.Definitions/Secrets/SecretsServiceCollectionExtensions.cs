using Flowkit.Definitions.Secrets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class SecretsServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="SecretBox"/> with the key from <c>Flowkit:Secrets:Key</c>, checked at start-up (outside
    /// Development a missing key stops the host, naming the setting). Used by the API (to seal) and workers (to unseal).
    /// </summary>
    public static IServiceCollection AddFlowkitSecrets(this IServiceCollection services)
    {
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var key = sp.GetRequiredService<IOptions<SecretsOptions>>().Value.ResolveKey(sp.GetRequiredService<IHostEnvironment>())
                ?? throw new InvalidOperationException($"{SecretsOptions.Section}:Key is missing or invalid.");
            return new SecretBox(key);
        });
        return services;
    }
}
