using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Flowkit.Definitions.Secrets;

/// <summary>How secrets are encrypted at rest and in messages. The API seals with this key; workers unseal with it.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Flowkit:Secrets";

    /// <summary>
    /// The AES-256 key as base64 of 32 bytes (environment: <c>Flowkit__Secrets__Key</c>; make one with
    /// <c>openssl rand -base64 32</c>). Every API and worker process must have the same key. Required outside
    /// Development; in Development a fixed, public development key is used when it is not set.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// DEVELOPMENT ONLY. This key is public (it is in the source code): anything sealed with it is readable by
    /// anyone. It is used only when the environment is Development and no key is configured.
    /// </summary>
    public const string DevelopmentKey = "3ENpOr0Sl27PKcGg5HKltY4S8Y0gt3jRMT2xCbN+Bc8=";

    /// <summary>The key bytes this process uses, or null when none is configured and none may be assumed.</summary>
    internal byte[]? ResolveKey(IHostEnvironment environment)
    {
        var text = string.IsNullOrWhiteSpace(Key) && environment.IsDevelopment() ? DevelopmentKey : Key;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var bytes = new byte[SecretBox.KeySize + 1];
        return Convert.TryFromBase64String(text.Trim(), bytes, out var written) && written == SecretBox.KeySize
            ? bytes[..SecretBox.KeySize]
            : null;
    }
}

/// <summary>Stops start-up when the secret key is missing (outside Development) or is not 32 bytes of base64.</summary>
internal sealed class SecretsOptionsValidator(IHostEnvironment environment) : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Key))
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"{SecretsOptions.Section}:Key is not set. Outside Development Flowkit needs a secret key to encrypt secrets: " +
                    $"set {SecretsOptions.Section.Replace(":", "__", StringComparison.Ordinal)}__Key to base64 of 32 random bytes (openssl rand -base64 32), the same on every API and worker.");
        }

        return options.ResolveKey(environment) is null
            ? ValidateOptionsResult.Fail($"{SecretsOptions.Section}:Key must be base64 of exactly 32 bytes (a 256-bit key), like the output of 'openssl rand -base64 32'.")
            : ValidateOptionsResult.Success;
    }
}
