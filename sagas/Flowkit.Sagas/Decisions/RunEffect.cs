using Flowkit.Contracts;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// One thing a decision asks the driver to do, in order: change a step, count a step as ended, record a timeline
/// event, write an outbox message or timer, end the run. Plain data: the driver (<see cref="RunDriver"/>) applies
/// each in one place. <see cref="Propagate"/> and <see cref="Dispatch"/> are follow-up decisions that need rows or
/// evaluated values the driver reads first; they are dropped once the run has ended in the transition.
/// </summary>
internal abstract record RunEffect
{
    /// <summary>Creates the run's steps (when it starts).</summary>
    internal sealed record AddSteps(IReadOnlyList<StepState> Steps) : RunEffect;

    /// <summary>The step's new values.</summary>
    internal sealed record SetStep(StepState Step) : RunEffect;

    /// <summary>The history row of an attempt that ended.</summary>
    internal sealed record RecordAttempt(
        string StepId, int Attempt, string Status, DateTimeOffset DispatchedAt, DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, string? Error) : RunEffect;

    /// <summary>An approval request a person can decide.</summary>
    internal sealed record OpenApproval(string StepId, int Attempt, string Message, DateTimeOffset RequestedAt, DateTimeOffset? ExpiresAt) : RunEffect;

    /// <summary>A timeline event (<see cref="RunEventTypes"/>), stored and published with the transition.</summary>
    internal sealed record RecordEvent(string Type, DateTimeOffset At, string? StepId = null, int? Attempt = null, string? Data = null) : RunEffect;

    /// <summary>Creates the run's callbacks (when it starts), so their URLs work from the run's start.</summary>
    internal sealed record OpenCallbacks(IReadOnlyList<string> StepIds) : RunEffect;

    /// <summary>The run started: its steps are counted and its start time set.</summary>
    internal sealed record RunStarted(DateTimeOffset At, int Steps) : RunEffect;

    /// <summary>A step ended (succeeded, failed for good or skipped): one fewer remains.</summary>
    internal sealed record StepEnded(string StepId) : RunEffect;

    /// <summary>An approval opened (the run waits) or closed.</summary>
    internal sealed record ApprovalsChanged(int Delta) : RunEffect;

    /// <summary>The run ends with <paramref name="Outcome"/>; no approval stays open.</summary>
    internal sealed record RunEnded(RunOutcome Outcome, string? Error, DateTimeOffset At) : RunEffect;

    /// <summary>The run is paused from <paramref name="PausedAt"/>, or resumed (null).</summary>
    internal sealed record PauseChanged(DateTimeOffset? PausedAt) : RunEffect;

    /// <summary>Marks every step that has not ended as cancelled.</summary>
    internal sealed record CancelOpenSteps(DateTimeOffset At) : RunEffect;

    /// <summary>Sends a step's work to a worker queue.</summary>
    internal sealed record SendWork(string Queue, ExecuteStep Message) : RunEffect;

    /// <summary>Tells workers to stop an attempt (or, without a step, every attempt of the run).</summary>
    internal sealed record StopWork(StepExecutionCancelled Message) : RunEffect;

    /// <summary>Drops the work messages written earlier in this transition (the run ended before they were sent).</summary>
    internal sealed record DiscardWork : RunEffect;

    /// <summary>A message to the run itself at <see cref="Due"/>, named by <see cref="Token"/> (durable time).</summary>
    internal abstract record Timer(DateTimeOffset Due, Guid Token) : RunEffect
    {
        public abstract IRunMessage Message { get; }

        /// <summary>Writes the timer with its message's own type (the outbox row names the type).</summary>
        public abstract void WriteTo(IOutbox outbox, Guid runId);
    }

    /// <inheritdoc cref="Timer"/>
    internal sealed record Timer<T>(T Payload, DateTimeOffset Due, Guid Token) : Timer(Due, Token)
        where T : class, IRunMessage
    {
        public override IRunMessage Message => Payload;

        public override void WriteTo(IOutbox outbox, Guid runId)
        {
            ArgumentNullException.ThrowIfNull(outbox);
            outbox.Schedule(Payload, Due, Token, runId);
        }
    }

    /// <summary>Cancels one timer.</summary>
    internal sealed record CancelTimer(Guid Token) : RunEffect;

    /// <summary>Cancels every timer of the run that has not fired.</summary>
    internal sealed record CancelTimers : RunEffect;

    /// <summary>Gives the run's concurrency slot back (the next run in line may start).</summary>
    internal sealed record ReleaseSlot(int Limit) : RunEffect;

    /// <summary>Takes a run that ends while waiting for a slot out of the line.</summary>
    internal sealed record LeaveLine(int Limit) : RunEffect;

    /// <summary>Follow-up: apply the end of <paramref name="StepId"/> to its dependents (needs their rows).</summary>
    internal sealed record Propagate(string StepId, SourceOutcome Outcome, bool? ConditionResult) : RunEffect;

    /// <summary>
    /// Follow-up: start the next attempt of <paramref name="StepId"/> (needs its inputs), or with
    /// <paramref name="Redeliver"/> send its current attempt to workers again.
    /// </summary>
    internal sealed record Dispatch(string StepId, bool Redeliver = false) : RunEffect;

    /// <summary>Creates the item rows of a for-each step from its list (one statement, when the step starts).</summary>
    internal sealed record AddItems(string StepId, System.Text.Json.JsonElement List) : RunEffect;

    /// <summary>An item's new values.</summary>
    internal sealed record SetItem(ItemState Item) : RunEffect;

    /// <summary>
    /// Follow-up: start the next attempt of item <paramref name="Index"/> of for-each step <paramref name="StepId"/>
    /// (needs its row and inputs), or with <paramref name="Redeliver"/> send its current attempt again.
    /// </summary>
    internal sealed record DispatchItem(string StepId, int Index, bool Redeliver = false) : RunEffect;

    /// <summary>Follow-up: the last item of for-each step <paramref name="StepId"/> ended; its output is assembled once, in order.</summary>
    internal sealed record CompleteItems(string StepId) : RunEffect;

    /// <summary>A timer carrying <paramref name="message"/>.</summary>
    public static Timer<T> Schedule<T>(T message, DateTimeOffset due, Guid token)
        where T : class, IRunMessage => new(message, due, token);
}
