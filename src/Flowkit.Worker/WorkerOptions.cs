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
}
