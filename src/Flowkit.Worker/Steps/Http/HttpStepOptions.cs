using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// Outbound HTTP of the <c>http</c> and <c>notify</c> steps: time and size limits, redirects, and which private
/// addresses may be called (everything public is allowed; see docs/worker.md, "SSRF policy").
/// </summary>
public sealed class HttpStepOptions
{
    public const string Section = "Flowkit:Worker:Http";

    /// <summary>Per-attempt time limit when the step sets no <c>timeout</c> of its own. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest response body read (after decompression). A bigger response fails the step without retry.
    /// Default 1 MiB.
    /// </summary>
    [Range(1024L, 256L * 1024 * 1024)]
    public long MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>Redirects followed per attempt; 0 answers with the 3xx itself. Default 5.</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;

    /// <summary>
    /// Host names that may be called whatever address they resolve to (private, loopback, cloud metadata), e.g.
    /// <c>billing.internal</c>; <c>*.corp.example</c> allows every subdomain of corp.example.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>
    /// Address ranges that may be called although private, e.g. <c>10.20.0.0/16</c> or <c>192.168.1.5</c>. A cloud
    /// metadata address (169.254.169.254, fd00:ec2::254) is only allowed when listed as that single address.
    /// </summary>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>
    /// Allow loopback addresses (127.0.0.0/8, ::1), so local examples work. Default: true in the Development
    /// environment, false elsewhere.
    /// </summary>
    public bool? AllowLoopback { get; set; }
}

/// <summary>Stops start-up on an allowlist entry that cannot be read, naming it.</summary>
internal sealed class HttpStepOptionsValidator : IValidateOptions<HttpStepOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpStepOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedNetworks.Count; i++)
        {
            if (!AddressRanges.TryParse(options.AllowedNetworks[i], out _))
            {
                failures.Add($"{HttpStepOptions.Section}:AllowedNetworks:{i} '{options.AllowedNetworks[i]}' is not an address range like 10.0.0.0/8 or an address like 10.1.2.3.");
            }
        }

        for (var i = 0; i < options.AllowedHosts.Count; i++)
        {
            var host = options.AllowedHosts[i];
            var bare = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
            if (Uri.CheckHostName(bare) == UriHostNameType.Unknown)
            {
                failures.Add($"{HttpStepOptions.Section}:AllowedHosts:{i} '{host}' is not a host name like billing.internal or *.corp.example.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
