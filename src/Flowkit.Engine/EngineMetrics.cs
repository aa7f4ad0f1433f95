using System.Diagnostics.Metrics;

namespace Flowkit.Engine;

/// <summary>
/// The engine's instruments (Meter <c>Flowkit.Engine</c>): outbox delivery and the watchdog's findings. Created
/// through <see cref="IMeterFactory"/>, so each host (and each test host) has its own.
/// </summary>
public sealed class EngineMetrics
{
    public const string MeterName = "Flowkit.Engine";

    private readonly Counter<long> _sent;
    private readonly Counter<long> _poisoned;
    private readonly Counter<long> _redriven;

    public EngineMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _sent = meter.CreateCounter<long>("flowkit.outbox.sent", "{message}", "Outbox rows sent to the broker.");
        _poisoned = meter.CreateCounter<long>("flowkit.outbox.poisoned", "{message}", "Outbox rows that can never be sent, parked with their reason.");
        _redriven = meter.CreateCounter<long>("flowkit.watchdog.redriven", "{run}", "Runs the watchdog found stuck and re-drove, by finding.");
    }

    public void OutboxSent(int count)
    {
        if (count > 0)
        {
            _sent.Add(count);
        }
    }

    public void OutboxPoisoned(string messageType) => _poisoned.Add(1, new KeyValuePair<string, object?>("message_type", messageType));

    public void Redriven(string finding) => _redriven.Add(1, new KeyValuePair<string, object?>("finding", finding));
}
