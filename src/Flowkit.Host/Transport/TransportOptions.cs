using System.ComponentModel.DataAnnotations;

namespace Flowkit.Host.Transport;

/// <summary>The consumer watchdog (<c>Flowkit:Transport</c>; docs/operations.md, "RabbitMQ goes away").</summary>
internal sealed class TransportOptions
{
    public const string Section = "Flowkit:Transport";

    /// <summary>How often the watchdog asks the broker for this process's consumers. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ConsumerCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a queue this process should consume may have none of its consumers while the broker answers, before the bus is restarted. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ConsumerLossLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a restart waits for running consumers to finish before it starts the bus again. Default 20 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RestartStopTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
