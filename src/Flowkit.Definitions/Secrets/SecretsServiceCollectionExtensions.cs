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

    /// <summary>
    /// Callback steps' tokens (<see cref="CallbackTokens"/>, keyed from <c>Flowkit:Secrets:Key</c>) and where their URLs
    /// point (<see cref="CallbackOptions"/>, <c>Flowkit:Callbacks</c>). The engine makes the URLs (and checks the key at
    /// start-up with <see cref="RequireFlowkitSecretsKey"/>); the API only hashes the token it receives.
    /// </summary>
    public static IServiceCollection AddFlowkitCallbackTokens(this IServiceCollection services)
    {
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section);
        services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.Section)
            .Validate(o => o.BaseUrl is { IsAbsoluteUri: true } u && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps),
                $"{CallbackOptions.Section}:BaseUrl must be an absolute http(s) address, like https://flowkit.example.com.")
            .ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var key = sp.GetRequiredService<IOptions<SecretsOptions>>().Value.ResolveKey(sp.GetRequiredService<IHostEnvironment>())
                ?? throw new InvalidOperationException($"{SecretsOptions.Section}:Key is missing or invalid.");
            return new CallbackTokens(key);
        });
        return services;
    }

    /// <summary>Stops start-up when <c>Flowkit:Secrets:Key</c> is missing or malformed (outside Development), naming it.</summary>
    public static IServiceCollection RequireFlowkitSecretsKey(this IServiceCollection services)
    {
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidator>());
        return services;
    }
}
