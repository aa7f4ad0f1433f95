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
