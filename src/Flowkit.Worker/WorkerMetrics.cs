using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Flowkit.Worker;

/// <summary>
/// Worker instruments (meter <c>Flowkit.Worker</c>): attempts handled by step type and outcome, and their duration.
/// Created through <see cref="IMeterFactory"/>, so each host (and each test host) has its own.
/// </summary>
public sealed class WorkerMetrics
{
    public const string MeterName = "Flowkit.Worker";

    private readonly Counter<long> _steps;
    private readonly Histogram<double> _duration;

    public WorkerMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _steps = meter.CreateCounter<long>("flowkit.worker.steps", "{attempt}", "Step attempts a worker finished, by step type and outcome.");
        _duration = meter.CreateHistogram<double>("flowkit.worker.step.duration", "s", "Time a worker spent on one step attempt.");
    }

    /// <param name="stepType">The step type.</param>
    /// <param name="outcome"><c>succeeded</c>, <c>failed</c> or <c>interrupted</c> (handed back to the queue at shutdown).</param>
    /// <param name="elapsed">Time spent.</param>
    public void Finished(string stepType, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "flowkit.step_type", stepType }, { "flowkit.outcome", outcome } };
        _steps.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }
}
