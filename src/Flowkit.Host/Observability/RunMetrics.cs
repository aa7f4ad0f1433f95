using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Flowkit.Host.Observability;

/// <summary>
/// Run and step instruments (meter <c>Flowkit.Engine</c>), fed from the lifecycle events of each transition. Labels
/// are bounded: <c>workspace</c> and <c>workflow</c> by the workflows that exist (names are unique per workspace,
/// archived ones keep their name), <c>step_type</c> by the step types, <c>outcome</c> by a fixed list.
/// </summary>
internal sealed class RunMetrics
{
    /// <summary>The engine's meter: run and step counts sit beside its outbox and watchdog counters.</summary>
    public const string MeterName = Flowkit.Engine.EngineMetrics.MeterName;

    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter<long> _runsStarted;
    private readonly Counter<long> _runsFinished;
    private readonly Counter<long> _stepsStarted;
    private readonly Counter<long> _stepsFinished;
    private readonly Counter<long> _stepRetries;
    private readonly Histogram<double> _stepDuration;

    public RunMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _runsStarted = meter.CreateCounter<long>("flowkit.runs.started", "{run}", "Runs that started (left pending), by workspace and workflow.");
        _runsFinished = meter.CreateCounter<long>("flowkit.runs.finished", "{run}", "Runs that ended, by workspace, workflow and outcome (succeeded, failed, cancelled).");
        _stepsStarted = meter.CreateCounter<long>("flowkit.steps.started", "{attempt}", "Step attempts a worker (or the engine, for delays) started, by step type.");
        _stepsFinished = meter.CreateCounter<long>("flowkit.steps.finished", "{step}", "Steps that ended, by step type and outcome (succeeded, failed, skipped).");
        _stepRetries = meter.CreateCounter<long>("flowkit.steps.retries", "{retry}", "Failed attempts that were given another attempt (StepRetryScheduled), by step type.");
        _stepDuration = meter.CreateHistogram<double>("flowkit.step.duration", "s",
            "Time from an attempt's start to its end, by step type and outcome (succeeded, failed, retried).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    public void RunStarted(string workspace, string workflow) =>
        _runsStarted.Add(1, new TagList { { "workspace", workspace }, { "workflow", workflow } });

    public void RunFinished(string workspace, string workflow, string outcome) =>
        _runsFinished.Add(1, new TagList { { "workspace", workspace }, { "workflow", workflow }, { "outcome", outcome } });

    public void StepStarted(string stepType) => _stepsStarted.Add(1, new KeyValuePair<string, object?>("step_type", stepType));

    public void StepFinished(string stepType, string outcome) =>
        _stepsFinished.Add(1, new TagList { { "step_type", stepType }, { "outcome", outcome } });

    public void StepRetried(string stepType) => _stepRetries.Add(1, new KeyValuePair<string, object?>("step_type", stepType));

    public void StepDuration(string stepType, string outcome, TimeSpan elapsed) =>
        _stepDuration.Record(Math.Max(0, elapsed.TotalSeconds), new TagList { { "step_type", stepType }, { "outcome", outcome } });
}
