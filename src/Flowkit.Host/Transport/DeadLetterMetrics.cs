using System.Diagnostics.Metrics;

namespace Flowkit.Host.Transport;

/// <summary>Meter <c>Flowkit.Transport</c>: messages moved to an error queue, by queue and exception type.</summary>
internal sealed class DeadLetterMetrics
{
    public const string MeterName = "Flowkit.Transport";

    private readonly Counter<long> _deadLetters;

    public DeadLetterMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter = meters.Create(MeterName);
        _deadLetters = Meter.CreateCounter<long>("flowkit.dead_letters", "{message}", "Messages moved to an _error queue (poison: deserialization failures, bugs)");
    }

    public Meter Meter { get; }

    public void DeadLettered(string queue, string reason) =>
        _deadLetters.Add(1, new KeyValuePair<string, object?>("flowkit.queue", queue), new KeyValuePair<string, object?>("flowkit.reason", reason));
}
