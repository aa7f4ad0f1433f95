using Microsoft.Extensions.Options;

namespace Flowkit.Api.Ingress;

/// <summary>Cross-field rules of <see cref="IngressOptions"/>; bad configuration stops start-up naming the key.</summary>
internal sealed class IngressOptionsValidator : IValidateOptions<IngressOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SignatureTolerance <= TimeSpan.Zero)
        {
            failures.Add($"Configuration '{IngressOptions.Section}:SignatureTolerance' must be positive (default 00:05:00).");
        }

        // A delivery signed at t is accepted from t - tolerance to t + tolerance: its key must outlive that.
        if (options.DedupeRetention < 2 * options.SignatureTolerance)
        {
            failures.Add($"Configuration '{IngressOptions.Section}:DedupeRetention' ({options.DedupeRetention}) must be at least twice '{IngressOptions.Section}:SignatureTolerance' ({options.SignatureTolerance}), or a replayed delivery could outlive its key.");
        }

        if (options.RunRequestPruneInterval <= TimeSpan.Zero)
        {
            failures.Add($"Configuration '{IngressOptions.Section}:RunRequestPruneInterval' must be positive (default 00:01:00).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
