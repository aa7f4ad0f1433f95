using Flowkit.Contracts;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;

namespace Flowkit.Host.Observability;

/// <summary>
/// Turns each transition's lifecycle events into <see cref="RunMetrics"/> and one ECS log line per event (category
/// <c>Flowkit.Timeline</c>), so that Kibana shows a run's timeline by <c>flowkit.run_id</c>. Scoped like the run
/// driver; the step types come from the run's plan, which the transition has already loaded into the plan cache.
/// </summary>
internal sealed class RunTimelineTelemetry(RunMetrics metrics, IRunStore store, ILoggerFactory loggers) : IRunTimelineObserver
{
    /// <summary>The logger category of the lifecycle lines.</summary>
    public const string Category = "Flowkit.Timeline";

    private readonly ILogger _logger = loggers.CreateLogger(Category);
    private RunPlan? _plan;

    public void Appended(RunState run, IReadOnlyList<RunLifecycleEvent> events)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            try
            {
                Observe(run, events, i, e);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Telemetry never fails a transition.
                Log.TimelineObserverFailed(_logger, e.Type, ex);
            }
        }
    }

    private void Observe(RunState run, IReadOnlyList<RunLifecycleEvent> events, int index, RunLifecycleEvent e)
    {
        var stepType = e.StepId is null ? null : StepType(run, e.StepId);
        if (e.StepId is null)
        {
            Log.RunEvent(_logger, e.Type, e.RunId, e.Workspace, e.Workflow, e.Version, e.Data);
        }
        else
        {
            Log.StepEvent(_logger, e.Type, e.RunId, e.Workspace, e.Workflow, e.Version, e.StepId, e.Attempt ?? 0, stepType ?? "unknown", e.Data);
        }

        switch (e.Type)
        {
            case RunEventTypes.RunStarted:
                metrics.RunStarted(e.Workspace, e.Workflow);
                break;
            case RunEventTypes.RunSucceeded:
                metrics.RunFinished(e.Workspace, e.Workflow, "succeeded");
                break;
            case RunEventTypes.RunFailed:
                metrics.RunFinished(e.Workspace, e.Workflow, "failed");
                break;
            case RunEventTypes.RunCancelled:
                metrics.RunFinished(e.Workspace, e.Workflow, "cancelled");
                break;
            case RunEventTypes.StepStarted:
                metrics.StepStarted(stepType!);
                break;
            case RunEventTypes.StepSucceeded:
                metrics.StepFinished(stepType!, "succeeded");
                Duration(events, index, e, stepType!, "succeeded");
                break;
            case RunEventTypes.StepFailed:
                metrics.StepFinished(stepType!, "failed");
                Duration(events, index, e, stepType!, "failed");
                break;
            case RunEventTypes.StepSkipped:
                metrics.StepFinished(stepType!, "skipped");
                break;
            case RunEventTypes.StepRetryScheduled:
                metrics.StepRetried(stepType!);
                Duration(events, index, e, stepType!, "retried");
                break;
        }
    }

    /// <summary>An attempt's duration, when its StepStarted is in the same transition (worker and delay steps).</summary>
    private void Duration(IReadOnlyList<RunLifecycleEvent> events, int index, RunLifecycleEvent end, string stepType, string outcome)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            var e = events[i];
            if (e.Type == RunEventTypes.StepStarted && e.StepId == end.StepId && e.Attempt == end.Attempt)
            {
                metrics.StepDuration(stepType, outcome, end.Timestamp - e.Timestamp);
                return;
            }
        }
    }

    private string StepType(RunState run, string stepId)
    {
        if (_plan is null)
        {
            // Every transition that adds step events has loaded the plan already, so this completes at once; if it
            // ever did not, the label says unknown rather than blocking the transition on I/O.
            var pending = store.GetPlanAsync(run.WorkflowId, run.Version, CancellationToken.None);
            if (!pending.IsCompletedSuccessfully)
            {
                _ = pending.AsTask();
                return "unknown";
            }

#pragma warning disable VSTHRD002 // Not a wait: the value task has completed (checked above).
            _plan = pending.Result;
#pragma warning restore VSTHRD002
        }

        return _plan.TryGetStep(stepId, out var step) && step is not null ? step.Type : "unknown";
    }
}
