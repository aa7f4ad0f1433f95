using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Auth;

/// <summary>API authentication (CONTRACT.md section 2): bearer API keys, one workspace each.</summary>
public sealed class AuthOptions
{
    public const string Section = "Flowkit:Auth";

    /// <summary>The bootstrap key when none is configured in Development. Public knowledge, so refused anywhere else.</summary>
    public const string DevelopmentBootstrapKey = "dev-admin-key";

    /// <summary>
    /// The admin key of workspace <c>default</c> on a fresh install (env <c>Flowkit__Auth__BootstrapKey</c>). It lives
    /// only in configuration, so changing it rotates it. Required outside Development, at least 16 characters;
    /// in Development it defaults to <c>dev-admin-key</c>.
    /// </summary>
    public string? BootstrapKey { get; set; }
}

/// <summary>Stops start-up, naming the setting, when a non-Development host has no usable bootstrap key.</summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public const int MinimumLength = 16;
    private const string Key = "Flowkit:Auth:BootstrapKey (env Flowkit__Auth__BootstrapKey)";

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (environment.IsDevelopment())
        {
            return ValidateOptionsResult.Success;
        }

        var key = options.BootstrapKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            return ValidateOptionsResult.Fail(
                $"Configuration '{Key}' is missing. Outside Development Flowkit needs the admin key of workspace 'default': set it to a long random string (for example the output of 'openssl rand -base64 32').");
        }

        if (key == AuthOptions.DevelopmentBootstrapKey)
        {
            return ValidateOptionsResult.Fail($"Configuration '{Key}' is the public development key '{AuthOptions.DevelopmentBootstrapKey}'. Set a secret one.");
        }

        return key.Length < MinimumLength
            ? ValidateOptionsResult.Fail($"Configuration '{Key}' is shorter than {MinimumLength} characters. Set a long random string.")
            : ValidateOptionsResult.Success;
    }
}
