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
}
