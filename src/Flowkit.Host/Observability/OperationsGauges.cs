using System.Diagnostics.Metrics;

namespace Flowkit.Host.Observability;

/// <summary>
/// Gauges of where work piles up (meter <c>Flowkit.Operations</c>): the outbox, overdue steps and the RabbitMQ
/// queues. A scrape reads the values <see cref="OperationsGaugeRefresher"/> last stored and never waits for
/// PostgreSQL or the management API; a gauge nobody could read yet reports nothing. The queue label is bounded: only
/// Flowkit's own queues (<c>flowkit-*</c>, with their <c>_error</c> and <c>_skipped</c> queues) are reported.
/// </summary>
internal sealed class OperationsGauges
{
    public const string MeterName = "Flowkit.Operations";

    private volatile DatabaseSnapshot? _database;
    private volatile IReadOnlyList<QueueSnapshot>? _queues;

    public OperationsGauges(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("flowkit.outbox.due", () => Database(d => d.Due), "{message}",
            "Outbox rows whose due time has come and that the relay has not sent yet.");
        meter.CreateObservableGauge("flowkit.outbox.lag", () => Database(d => d.OldestDueAgeSeconds), "s",
            "How long the oldest due outbox row has waited past its due time (0 when none is due).");
        meter.CreateObservableGauge("flowkit.steps.overdue", () => Database(d => d.OverdueSteps), "{step}",
            "Running steps whose attempt deadline passed longer ago than Flowkit:Observability:OverdueGrace: runs that make no progress.");
        meter.CreateObservableGauge("flowkit.queue.messages", () => Queues(q =>
            [
                new Measurement<long>(q.Ready, new KeyValuePair<string, object?>("queue", q.Name), new KeyValuePair<string, object?>("state", "ready")),
                new Measurement<long>(q.Unacknowledged, new KeyValuePair<string, object?>("queue", q.Name), new KeyValuePair<string, object?>("state", "unacked")),
            ]), "{message}", "Messages in each Flowkit queue, ready (backlog) or delivered and not yet acknowledged (in flight). Queues ending in _error hold dead letters.");
        meter.CreateObservableGauge("flowkit.queue.consumers", () => Queues(q =>
            [new Measurement<long>(q.Consumers, new KeyValuePair<string, object?>("queue", q.Name))]),
            "{consumer}", "Consumers attached to each Flowkit queue.");
    }

    public void SetDatabase(DatabaseSnapshot snapshot) => _database = snapshot;

    public void SetQueues(IReadOnlyList<QueueSnapshot> queues) => _queues = queues;

    private IEnumerable<Measurement<double>> Database(Func<DatabaseSnapshot, double> read) =>
        _database is { } d ? [new Measurement<double>(read(d))] : [];

    private IEnumerable<Measurement<long>> Queues(Func<QueueSnapshot, Measurement<long>[]> read) =>
        _queues is { } queues ? queues.SelectMany(read) : [];
}
