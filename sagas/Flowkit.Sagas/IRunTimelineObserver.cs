using Flowkit.Contracts;

namespace Flowkit.Sagas;

/// <summary>
/// Sees the lifecycle events of each transition of a run, in order, when <see cref="RunDriver"/> publishes them (once
/// per transition, inside the transaction that holds the run's lock, so a transition that rolls back and is retried
/// may be seen twice). The host turns them into metrics and ECS log lines (docs/observability.md). An observer must
/// be quick and must not throw: it runs on the saga's hot path.
/// </summary>
public interface IRunTimelineObserver
{
    /// <param name="run">The run after the transition.</param>
    /// <param name="events">The events the transition added, oldest first; not kept after the call.</param>
    void Appended(RunState run, IReadOnlyList<RunLifecycleEvent> events);
}
