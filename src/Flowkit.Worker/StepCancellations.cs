using System.Collections.Concurrent;
using Flowkit.Contracts;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker;

/// <summary>
/// The cancellations this worker process has heard (<see cref="StepExecutionCancelled"/>: a run that ended early, an
/// attempt that timed out), so that an <see cref="ExecuteStep"/> for them still waiting in a queue is not run. Bounded
/// memory: the oldest are forgotten first beyond <see cref="WorkerOptions.RememberedCancellations"/>. A worker that
/// started after the cancellation was published does not know it; the engine ignores that attempt's report anyway.
/// </summary>
public sealed class StepCancellations(IOptions<WorkerOptions> options)
{
    private readonly ConcurrentDictionary<(Guid RunId, string? StepId, int Attempt), byte> _cancelled = new();
    private readonly ConcurrentQueue<(Guid, string?, int)> _order = new();
    private readonly int _capacity = options.Value.RememberedCancellations;

    /// <summary>Remembers a cancellation: a whole run (no step), a step (attempt 0) or one attempt.</summary>
    public void Remember(Guid runId, string? stepId, int attempt)
    {
        var key = (runId, stepId, stepId is null ? 0 : attempt);
        if (_cancelled.TryAdd(key, 0))
        {
            _order.Enqueue(key);
            while (_order.Count > _capacity && _order.TryDequeue(out var oldest))
            {
                _cancelled.TryRemove(oldest, out _);
            }
        }
    }

    /// <summary>Whether this attempt was cancelled, by its run, its step or itself.</summary>
    public bool IsCancelled(ExecuteStep command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _cancelled.ContainsKey((command.RunId, null, 0))
            || _cancelled.ContainsKey((command.RunId, StepKeys.Of(command.StepId, command.Item), 0))
            || _cancelled.ContainsKey((command.RunId, StepKeys.Of(command.StepId, command.Item), command.Attempt));
    }
}
