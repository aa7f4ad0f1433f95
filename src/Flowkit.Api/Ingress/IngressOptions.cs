using System.ComponentModel.DataAnnotations;

namespace Flowkit.Api.Ingress;

/// <summary>Webhook ingress settings (<c>Flowkit:Ingress</c>); see docs/ingress.md.</summary>
public sealed class IngressOptions
{
    public const string Section = "Flowkit:Ingress";

    /// <summary>Largest accepted request body; larger ones answer 413. Default 1 MiB.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Webhook requests a workspace may make per <see cref="WorkspaceLimitPeriod"/>, over all its hooks.</summary>
    [Range(1, 10_000_000)]
    public int WorkspaceLimit { get; set; } = 1000;

    /// <summary>The period of <see cref="WorkspaceLimit"/> (default one second).</summary>
    public TimeSpan WorkspaceLimitPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many requests a workspace may make at once after being idle; default <see cref="WorkspaceLimit"/>.</summary>
    [Range(1, 10_000_000)]
    public int? WorkspaceBurst { get; set; }

    /// <summary>
    /// How long a found hook (workflow, version, trigger) is reused without asking PostgreSQL. It cannot start a run
    /// of an archived or outdated version: the run's insert checks the workflow is live and the version latest, and a
    /// stale answer is looked up again. Zero looks up every delivery.
    /// </summary>
    public TimeSpan HookCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The deduplication window: how long a run request key (webhook delivery, <c>Idempotency-Key</c> of a manual
    /// run, cron fire) is remembered. Redis keys expire after it; <see cref="RunRequestPruner"/> deletes older
    /// <c>run_requests</c> rows. A request repeated later starts a new run. At least twice
    /// <see cref="SignatureTolerance"/>, so a timestamped delivery replayed while its signature is still fresh is
    /// always recognised.
    /// </summary>
    public TimeSpan DedupeRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How far the time <c>t</c> of a timestamped signature may be from now, either way (clock skew and delivery
    /// delay). Older or newer deliveries answer 401, so a captured delivery cannot be replayed later. Default 5 minutes.
    /// </summary>
    public TimeSpan SignatureTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each API process deletes <c>run_requests</c> rows older than <see cref="DedupeRetention"/>. Default 1 minute.</summary>
    public TimeSpan RunRequestPruneInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows deleted per statement when pruning (small batches keep each transaction and its locks short).</summary>
    [Range(1, 100_000)]
    public int RunRequestPruneBatch { get; set; } = 1000;

    /// <summary>
    /// With <c>overflow: queue</c>, the furthest ahead a run may be scheduled to start; a request that would wait
    /// longer answers 429 like <c>overflow: reject</c>.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one Redis call may take before ingress falls back to PostgreSQL for that request.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a Redis failure, requests skip Redis for this long (unless the connection reports it is back).</summary>
    public TimeSpan RedisRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Prefix of every Redis key ingress writes. Default <c>flowkit:{database name}</c>: Redis caches what one
    /// database decided, so two installations (or two test databases) sharing a Redis never see each other's keys.
    /// </summary>
    public string? RedisKeyPrefix { get; set; }

    internal int EffectiveWorkspaceBurst => WorkspaceBurst ?? WorkspaceLimit;
}
