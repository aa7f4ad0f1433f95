using System.ComponentModel.DataAnnotations;

namespace Flowkit.Persistence.Runs;

/// <summary>
/// Quotas on runs per workspace (<c>Flowkit:Quotas</c>; issue 19). Enforced by <see cref="RunLauncher"/>, the one
/// way every trigger (API, webhook, cron) starts a run; see docs/security.md.
/// </summary>
public sealed class RunQuotaOptions
{
    public const string Section = "Flowkit:Quotas";

    /// <summary>
    /// Runs in flight (not finished: pending, running, waiting) a workspace may have; a launch beyond it is refused
    /// (429 for the API and webhooks, a logged warning for cron). 0 means no quota. Default 10,000.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int RunsInFlight { get; set; } = 10_000;

    /// <summary>Per-workspace overrides of <see cref="RunsInFlight"/> (<c>Flowkit:Quotas:RunsInFlightByWorkspace:{workspace}</c>).</summary>
    public Dictionary<string, int> RunsInFlightByWorkspace { get; } = new(StringComparer.Ordinal);

    /// <summary>The <c>Retry-After</c> a refused launch answers with. Default 5 seconds.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The quota of <paramref name="workspace"/>; 0 for none.</summary>
    public int For(string workspace) =>
        RunsInFlightByWorkspace.TryGetValue(workspace, out var quota) ? Math.Max(0, quota) : RunsInFlight;
}
