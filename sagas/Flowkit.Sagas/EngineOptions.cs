using System.ComponentModel.DataAnnotations;

namespace Flowkit.Sagas;

/// <summary>Run engine settings.</summary>
public sealed class EngineOptions
{
    public const string Section = "Flowkit:Engine";

    /// <summary>Per-attempt timeout of a worker step that sets none: a worker that dies or hangs is detected by it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DefaultStepTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a worker step's <c>ExecuteStep</c> may wait for delivery (in the outbox, in a queue, for a worker) and
    /// still be started. The attempt's timeout counts from the worker's start; the engine's deadline for an attempt is
    /// the end of this window plus the timeout. An attempt no worker reported on by then is sent again (same attempt
    /// number) with twice the window, up to <see cref="MaxDeliveries"/> times, instead of failing (docs/reliability.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan DeliveryWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many times one attempt is sent before silence counts as its timeout (a worker that dies on it every time).
    /// With the default window the sendings cover about an hour of outage.
    /// </summary>
    [Range(1, 20)]
    public int MaxDeliveries { get; set; } = 6;

    /// <summary>Publish every timeline event on RabbitMQ (<c>RunLifecycleEvent</c>) besides storing it.</summary>
    public bool PublishLifecycleEvents { get; set; } = true;

    /// <summary>Saga messages processed at once by this engine.</summary>
    [Range(1, 1024)]
    public int ConcurrencyLimit { get; set; } = 32;

    /// <summary>Messages RabbitMQ hands the engine ahead of time.</summary>
    [Range(1, 4096)]
    public int PrefetchCount { get; set; } = 128;

    /// <summary>In-process partitions by run id, so that a busy run's messages wait in memory, not on the row lock.</summary>
    [Range(1, 4096)]
    public int Partitions { get; set; } = 64;

    /// <summary>Compiled plans kept in memory (least recently used dropped first; a dropped plan is compiled again).</summary>
    [Range(1, 1_000_000)]
    public int PlanCacheSize { get; set; } = 1000;

    /// <summary>Whether this engine runs the watchdog that finds and re-drives stuck runs (docs/reliability.md).</summary>
    public bool WatchdogEnabled { get; set; } = true;

    /// <summary>How often the watchdog looks for stuck runs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a run must stay stuck (a lost message, a lost timer, a decided approval not applied, a slot counter
    /// that disagrees) before the watchdog re-drives it. Longer than the usual queueing delay of a message under load.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan WatchdogBound { get; set; } = TimeSpan.FromMinutes(1);
}
