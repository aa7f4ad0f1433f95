using System.ComponentModel.DataAnnotations;

namespace Flowkit.Worker;

/// <summary>Worker limits, per step-family queue.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Flowkit:Worker";

    /// <summary>Steps run at once per queue.</summary>
    [Range(1, 1024)]
    public int ConcurrencyLimit { get; set; } = 32;

    /// <summary>Messages RabbitMQ hands the worker ahead of time per queue.</summary>
    [Range(1, 4096)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>
    /// Scripts run at once (the script queue is CPU bound, so it has its own, smaller limit). Default: the number of
    /// processors.
    /// </summary>
    [Range(1, 1024)]
    public int ScriptConcurrencyLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// At shutdown, how long steps already running may take to finish after the worker stops taking new ones. A step
    /// still running then is cancelled and its message goes back to the queue, to run again on another worker (same
    /// attempt and idempotency key). Keep it below the host's shutdown timeout (30 s by default). Default 20 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long after the attempt's deadline (or, without one, after <see cref="ReportWindow"/>) the worker keeps
    /// trying to publish a finished attempt's report while the broker is unreachable, before it hands the message back
    /// (docs/worker.md, "When the broker is away"). Default 1 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ReportGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a report of an attempt without a deadline is retried (plus <see cref="ReportGrace"/>). Default 5 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReportWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Cancellations (runs, steps, attempts) remembered to skip their queued work. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int RememberedCancellations { get; set; } = 10_000;

    /// <summary>
    /// Memory for reports of finished attempts (outputs included), remembered to answer a redelivery without running
    /// the step again; the oldest are forgotten first. Default 32 MiB.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long RememberedReportBytes { get; set; } = 32L * 1024 * 1024;
}
