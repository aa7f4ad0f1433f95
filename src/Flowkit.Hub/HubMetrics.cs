using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Flowkit.Hub;

/// <summary>
/// Hub instruments (meter <c>Flowkit.Hub</c>): delivery attempts by destination kind and outcome, and their duration.
/// Labels are bounded: four kinds, four outcomes.
/// </summary>
public sealed class HubMetrics
{
    public const string MeterName = "Flowkit.Hub";

    /// <summary>Outcome of an attempt that the destination took.</summary>
    public const string Delivered = "delivered";

    /// <summary>Outcome of a failed attempt that will be tried again.</summary>
    public const string Retrying = "retrying";

    /// <summary>Outcome of a failed attempt after which the delivery is dead-lettered.</summary>
    public const string DeadLettered = "dead_lettered";

    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _matched;

    public HubMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("flowkit.hub.deliveries", "{attempt}", "Delivery attempts, by destination kind and outcome (delivered, retrying, dead_lettered).");
        _duration = meter.CreateHistogram<double>("flowkit.hub.delivery.duration", "s", "Time one delivery attempt took.");
        _matched = meter.CreateCounter<long>("flowkit.hub.events.matched", "{delivery}", "Deliveries created from lifecycle events that matched a subscription, by destination kind.");
    }

    public void Attempted(string kind, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "flowkit.destination_kind", kind }, { "flowkit.outcome", outcome } };
        _deliveries.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void Matched(string kind) => _matched.Add(1, new TagList { { "flowkit.destination_kind", kind } });
}
