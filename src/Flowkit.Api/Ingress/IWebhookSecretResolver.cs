using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace Flowkit.Api.Ingress;

/// <summary>
/// Gives ingress the value of the secret a webhook trigger signs with (<c>secret: "{{ secrets.name }}"</c>). The
/// value is used for one HMAC and never stored, logged or put in the run. Secrets live with the secrets feature
/// (issue 6: sealed in PostgreSQL, opened with the SecretBox key); an adapter over that store replaces
/// <see cref="ConfiguredWebhookSecrets"/> when both are merged.
/// </summary>
public interface IWebhookSecretResolver
{
    /// <summary>The secret's value, or null when <paramref name="workspace"/> has no secret <paramref name="name"/>.</summary>
    ValueTask<string?> ResolveAsync(string workspace, string name, CancellationToken cancellationToken);
}

/// <summary>
/// Webhook secrets from configuration, <c>Flowkit:Ingress:HookSecrets:{workspace}:{name}</c> (environment
/// <c>Flowkit__Ingress__HookSecrets__default__billing_hook</c>): the stand-in until the sealed secret store is wired in.
/// </summary>
internal sealed class ConfiguredWebhookSecrets(IConfiguration configuration) : IWebhookSecretResolver
{
    public ValueTask<string?> ResolveAsync(string workspace, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(configuration[$"{IngressOptions.Section}:HookSecrets:{workspace}:{name}"] is { Length: > 0 } value ? value : null);
}

/// <summary>
/// Webhook secrets from the workspace's secret store (sealed in PostgreSQL, opened with the SecretBox key), falling
/// back to configuration for hooks whose secret is set there.
/// </summary>
internal sealed class StoredWebhookSecrets(IServiceScopeFactory scopes, Flowkit.Definitions.Secrets.SecretBox box, ConfiguredWebhookSecrets configured) : IWebhookSecretResolver
{
    public async ValueTask<string?> ResolveAsync(string workspace, string name, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<Flowkit.Persistence.Secrets.SecretStore>();
        var found = await store.GetSealedSecretsAsync(workspace, [name], cancellationToken);
        return found.TryGetValue(name, out var sealedValue)
            ? box.Unseal(workspace, name, sealedValue)
            : await configured.ResolveAsync(workspace, name, cancellationToken);
    }
}
