using Flowkit.Contracts;

namespace Flowkit.Api.Ops;

/// <summary>Which Flowkit queue is which (the table in docs/operations.md says the same).</summary>
internal static class QueueRoles
{
    public static string? Of(string queue)
    {
        if (queue.EndsWith(DeadLetters.ErrorSuffix, StringComparison.Ordinal))
        {
            return Of(queue[..^DeadLetters.ErrorSuffix.Length]) is null ? null : $"dead letters of {queue[..^DeadLetters.ErrorSuffix.Length]}: messages that failed to be consumed (poison)";
        }

        if (queue.EndsWith("_skipped", StringComparison.Ordinal))
        {
            return Of(queue[..^"_skipped".Length]) is null ? null : $"messages {queue[..^"_skipped".Length]} received but nothing there consumes";
        }

        return queue switch
        {
            EngineQueues.Runs => "engine: every message about a run (start, step results, timers, decisions, cancels), consumed by the run saga",
            StepQueues.Core => "worker: transform and condition steps",
            StepQueues.Http => "worker: http steps",
            StepQueues.Notify => "worker: notify steps",
            StepQueues.Script => "worker: script steps",
            HubQueues.Events => "hub: every lifecycle event, matched against subscriptions into deliveries",
            HubQueues.Deliveries => "hub: one message per delivery attempt (retries arrive here when their backoff is over)",
            _ when queue.Contains("flowkit-worker-cancellations", StringComparison.Ordinal) => "worker: one worker's own temporary queue for StepExecutionCancelled (stops running steps of an ended run)",
            _ => null,
        };
    }
}
