using System.Diagnostics;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using Microsoft.Extensions.Options;

namespace Flowkit.Sagas;

/// <summary>
/// The imperative shell of the run saga, scoped per message, inside the transaction that holds the run's lock. It
/// reads what a decision needs (the plan, step rows, dispatch inputs), and applies the effects of the pure decisions
/// (<see cref="RunDecisions"/>, <see cref="StepDecisions"/>) in one place: row changes, attempt and approval rows,
/// timeline events, outbox messages and timers, concurrency slots. It decides nothing itself.
/// </summary>
internal sealed class RunDriver(
    IRunStore store, IRunCallbacks callbacks, IOutbox outbox, IEngineExpressions expressions, IConcurrencySlots slots, TimeProvider time,
    IOptions<EngineOptions> options, IEnumerable<IRunTimelineObserver> observers)
{
    private readonly EngineOptions _options = options.Value;

    private readonly List<RunLifecycleEvent> _timeline = [];

    /// <summary>The rows this transition has read or created, by step id: the rows decisions' step states came from.</summary>
    private readonly Dictionary<string, StepRow> _rows = new(StringComparer.Ordinal);

    /// <summary>The item rows this transition has read, by step id and index.</summary>
    private readonly Dictionary<(string StepId, int Index), StepItemRow> _items = [];

    /// <summary>The clock of the current transition: every decision of one message sees the same time.</summary>
    private DateTimeOffset _now;

    /// <summary>Starts a transition: reads the clock once and returns the run's plan.</summary>
    public ValueTask<RunPlan> BeginAsync(RunState run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        _now = time.GetUtcNow();
        _rows.Clear();
        _items.Clear();
        return store.GetPlanAsync(run.WorkflowId, run.Version, cancellationToken);
    }

    /// <summary>The context of one decision: this transition's clock and a fresh jitter sample.</summary>
#pragma warning disable CA5394 // Jitter spreads retries; it needs no cryptographic randomness.
    public DecisionContext Context() => new(_now, Random.Shared.NextDouble(), _options.DefaultStepTimeout)
    {
        DeliveryWindow = _options.DeliveryWindow,
        MaxDeliveries = _options.MaxDeliveries,
    };
#pragma warning restore CA5394

    /// <summary>A read-only copy of the run's data for a decision.</summary>
    public static RunFacts Facts(RunState run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new RunFacts(run.CorrelationId, run.Workspace, run.Workflow, run.Version, run.Input)
        {
            RemainingSteps = run.RemainingSteps,
            OpenApprovals = run.OpenApprovals,
            HoldsSlot = run.HoldsSlot,
            StartedAt = run.StartedAt,
            Outcome = run.Outcome,
            PausedAt = run.PausedAt,
            RerunOf = run.RerunOf,
            RerunFrom = run.RerunFrom,
        };
    }

    /// <summary>
    /// The slot gate before a run starts: takes one of the workflow's concurrency slots when it needs one. False
    /// when none is free: the run stays pending, in line, and a finishing run hands it a slot.
    /// </summary>
    public async Task<bool> TakeSlotAsync(RunState run, RunPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (RunDecisions.SlotNeeded(Facts(run), plan) is not { } limit)
        {
            return true;
        }

        if (!await slots.TryAcquireAsync(run, limit, _now, cancellationToken))
        {
            return false;
        }

        run.HoldsSlot = true;
        return true;
    }

    /// <summary>
    /// The state of step <paramref name="stepId"/>, read together with its dependents (advancing the run needs them
    /// next); null when the plan has no such step or it has no row.
    /// </summary>
    public async Task<StepState?> StepAsync(RunState run, RunPlan plan, string stepId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.TryGetStep(stepId, out var step))
        {
            return null;
        }

        var wanted = new List<string>(step!.Dependents.Count + 1) { stepId };
        wanted.AddRange(step.Dependents);
        var rows = await RowsAsync(run, wanted, cancellationToken);
        return rows.TryGetValue(stepId, out var row) ? StepState.Of(row) : null;
    }

    /// <summary>
    /// For a message about an item of a for-each step: the step's state and the item's; either is null when there is
    /// no such row. Reads the step row and the one item row, whatever the number of items.
    /// </summary>
    public async Task<(StepState? Step, ItemState? Item)> ItemAsync(RunState run, RunPlan plan, string stepId, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.TryGetStep(stepId, out var step) || step!.ForEach is null)
        {
            return (null, null);
        }

        var rows = await RowsAsync(run, [stepId], cancellationToken);
        var item = await ItemRowAsync(run, stepId, index, cancellationToken);
        return (rows.TryGetValue(stepId, out var row) ? StepState.Of(row) : null, item is null ? null : ItemState.Of(item));
    }

    /// <summary>
    /// The run's running for-each steps with the items a pause held: what resuming it releases besides its steps. Reads
    /// the for-each steps' rows and, of each, only its held items (at most its concurrency).
    /// </summary>
    public async Task<IReadOnlyList<HeldItems>> ForEachInFlightAsync(RunState run, RunPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        var ids = plan.Steps.Where(s => s.ForEach is not null).Select(s => s.Id).ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        var result = new List<HeldItems>();
        foreach (var (id, row) in await RowsAsync(run, ids, cancellationToken))
        {
            if (row.Status != Planning.StepStatus.Running || row.ItemCount is null)
            {
                continue;
            }

            var held = await store.GetHeldItemsAsync(run.CorrelationId, id, cancellationToken);
            foreach (var item in held)
            {
                _items[(id, item.Index)] = item;
            }

            result.Add(new HeldItems(StepState.Of(row), [.. held.Select(ItemState.Of)]));
        }

        return result;
    }

    /// <summary>
    /// The run's steps a pause held (ready but not dispatched) and its waiting steps (delays, approvals): what resuming
    /// it may release. Read once, when it is resumed.
    /// </summary>
    public async Task<IReadOnlyList<StepState>> IdleStepsAsync(RunState run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = await store.GetIdleStepsAsync(run.CorrelationId, cancellationToken);
        foreach (var row in rows)
        {
            _rows[row.StepId] = row;
        }

        return [.. rows.Select(StepState.Of)];
    }

    /// <summary>The approval requests of the given steps of the run (every attempt).</summary>
    public async Task<IReadOnlyList<ApprovalFacts>> ApprovalsAsync(RunState run, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = await store.GetApprovalsAsync(run.CorrelationId, stepIds, cancellationToken);
        return [.. rows.Select(a => new ApprovalFacts(a.StepId, a.Attempt, a.Decision, a.ExpiresAt) { DecidedBy = a.DecidedBy, Comment = a.Comment, DecidedAt = a.DecidedAt })];
    }

    /// <summary>The steps of another run as they ended (for a rerun of it), by step id; read only.</summary>
    public async Task<IReadOnlyDictionary<string, StepState>> RecordedStepsAsync(Guid runId, CancellationToken cancellationToken)
    {
        var rows = await store.GetRecordedStepsAsync(runId, cancellationToken);
        return rows.ToDictionary(r => r.StepId, StepState.Of, StringComparer.Ordinal);
    }

    /// <summary>Claims an open approval for expiry (false when a person decided first).</summary>
    public Task<bool> ClaimExpiryAsync(RunState run, StepState step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(step);
        return store.TryExpireApprovalAsync(run.CorrelationId, step.StepId, step.Attempt, _now, cancellationToken);
    }

    /// <summary>Claims a waiting callback for expiry (false when a call arrived first).</summary>
    public Task<bool> ClaimCallbackExpiryAsync(RunState run, StepState step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(step);
        return callbacks.TryExpireAsync(run.CorrelationId, step.StepId, _now, cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="decision"/> and the follow-up decisions it asks for, then settles the run (it succeeds
    /// when nothing remains), then publishes the transition's timeline.
    /// </summary>
    public async Task ApplyAsync(RunState run, RunPlan plan, RunDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsNone)
        {
            await ApplyEffectsAsync(run, plan, decision, cancellationToken);
            await ApplyEffectsAsync(run, plan, RunDecisions.Settle(Facts(run), plan, Context()), cancellationToken);
        }

        PublishTimeline(run);
    }

    private async Task ApplyEffectsAsync(RunState run, RunPlan plan, RunDecision decision, CancellationToken cancellationToken)
    {
        var runId = run.CorrelationId;
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case RunEffect.Propagate propagate:
                {
                    if (run.Outcome is not null)
                    {
                        return; // the run ended in this transition: nothing more of it moves
                    }

                    var dependents = await RowsAsync(run, plan[propagate.StepId].Dependents, cancellationToken);
                    var states = dependents.ToDictionary(d => d.Key, d => StepState.Of(d.Value), StringComparer.Ordinal);
                    await ApplyEffectsAsync(run, plan, StepDecisions.Propagate(plan, propagate, states, Context()), cancellationToken);
                    break;
                }

                case RunEffect.Dispatch dispatch:
                {
                    if (run.Outcome is not null)
                    {
                        return;
                    }

                    var row = (await RowsAsync(run, [dispatch.StepId], cancellationToken))[dispatch.StepId];
                    var inputs = await DispatchInputsAsync(run, plan, plan[dispatch.StepId], cancellationToken);
                    await ApplyEffectsAsync(run, plan, StepDecisions.Dispatch(Facts(run), plan, StepState.Of(row), inputs, Context(), dispatch.Redeliver), cancellationToken);
                    break;
                }

                case RunEffect.DispatchItem dispatchItem:
                {
                    if (run.Outcome is not null)
                    {
                        return;
                    }

                    var parent = (await RowsAsync(run, [dispatchItem.StepId], cancellationToken))[dispatchItem.StepId];
                    var item = await ItemRowAsync(run, dispatchItem.StepId, dispatchItem.Index, cancellationToken)
                        ?? throw new InvalidOperationException($"Item {dispatchItem.Index} of step '{dispatchItem.StepId}' has no row.");
                    var inputs = await ItemInputsAsync(run, plan, plan[dispatchItem.StepId], cancellationToken);
                    await ApplyEffectsAsync(run, plan,
                        ItemDecisions.Dispatch(Facts(run), plan, StepState.Of(parent), ItemState.Of(item), inputs, Context(), dispatchItem.Redeliver), cancellationToken);
                    break;
                }

                case RunEffect.CompleteItems complete:
                {
                    if (run.Outcome is not null)
                    {
                        return;
                    }

                    var parent = (await RowsAsync(run, [complete.StepId], cancellationToken))[complete.StepId];
                    var outputs = await store.GetItemOutputsAsync(run.CorrelationId, complete.StepId, cancellationToken);
                    using var document = JsonDocument.Parse(outputs);
                    await ApplyEffectsAsync(run, plan, ItemDecisions.Complete(plan, StepState.Of(parent), document.RootElement.Clone(), Context()), cancellationToken);
                    break;
                }

                case RunEffect.AddItems addItems:
                    await store.AddItemsAsync(runId, addItems.StepId, addItems.List, cancellationToken);
                    break;
                case RunEffect.SetItem setItem:
                    setItem.Item.CopyTo(_items[(setItem.Item.StepId, setItem.Item.Index)]);
                    break;
                case RunEffect.AddSteps add:
                    var created = add.Steps.Select(s =>
                    {
                        var row = new StepRow { RunId = runId, StepId = s.StepId, Index = s.Index };
                        s.CopyTo(row);
                        _rows[s.StepId] = row;
                        return row;
                    }).ToList();
                    store.AddSteps(created);
                    break;
                case RunEffect.SetStep set:
                    set.Step.CopyTo(_rows[set.Step.StepId]);
                    break;
                case RunEffect.RecordAttempt attempt:
                    store.AddAttempt(new StepAttemptRow
                    {
                        RunId = runId,
                        StepId = attempt.StepId,
                        Attempt = attempt.Attempt,
                        Status = attempt.Status,
                        DispatchedAt = attempt.DispatchedAt,
                        StartedAt = attempt.StartedAt,
                        FinishedAt = attempt.FinishedAt,
                        Error = attempt.Error,
                    });
                    break;
                case RunEffect.OpenApproval approval:
                    store.AddApproval(new ApprovalRow
                    {
                        RunId = runId,
                        StepId = approval.StepId,
                        Attempt = approval.Attempt,
                        Workspace = run.Workspace,
                        Message = approval.Message,
                        RequestedAt = approval.RequestedAt,
                        ExpiresAt = approval.ExpiresAt,
                    });
                    break;
                case RunEffect.OpenCallbacks open:
                    callbacks.Open(run, open.StepIds, _now);
                    break;
                case RunEffect.RecordEvent recorded:
                    AddEvent(run, recorded);
                    break;
                case RunEffect.RunStarted started:
                    run.StartedAt = started.At;
                    run.RemainingSteps = started.Steps;
                    break;
                case RunEffect.StepEnded:
                    run.RemainingSteps--;
                    break;
                case RunEffect.ApprovalsChanged approvals:
                    run.OpenApprovals += approvals.Delta;
                    break;
                case RunEffect.RunEnded ended:
                    run.Outcome = ended.Outcome;
                    run.Error = ended.Error;
                    run.FinishedAt = ended.At;
                    run.OpenApprovals = 0;
                    break;
                case RunEffect.PauseChanged pause:
                    run.PausedAt = pause.PausedAt;
                    break;
                case RunEffect.CancelOpenSteps cancel:
                    await store.CancelOpenStepsAsync(runId, cancel.At, cancellationToken);
                    break;
                case RunEffect.SendWork work:
                    outbox.Send(work.Queue, work.Message, runId);
                    break;
                case RunEffect.StopWork stop:
                    outbox.Publish(stop.Message, runId);
                    break;
                case RunEffect.DiscardWork:
                    outbox.Discard<ExecuteStep>(runId);
                    break;
                case RunEffect.Timer timer:
                    timer.WriteTo(outbox, runId);
                    break;
                case RunEffect.CancelTimer cancelTimer:
                    await outbox.CancelAsync(cancelTimer.Token, cancellationToken);
                    break;
                case RunEffect.CancelTimers:
                    await outbox.CancelAllAsync(runId, cancellationToken);
                    break;
                case RunEffect.ReleaseSlot release:
                    run.HoldsSlot = false;
                    await slots.ReleaseAsync(run, release.Limit, _now, cancellationToken);
                    break;
                case RunEffect.LeaveLine leave:
                    await slots.LeaveAsync(run, leave.Limit, _now, cancellationToken);
                    break;
                default:
                    throw new NotSupportedException($"The run driver cannot apply {effect.GetType().Name}.");
            }
        }
    }

    /// <summary>The given rows of the run, from this transition's rows or the store (which serves each row once).</summary>
    private async Task<IReadOnlyDictionary<string, StepRow>> RowsAsync(RunState run, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken)
    {
        var rows = await store.GetStepsAsync(run.CorrelationId, stepIds, cancellationToken);
        foreach (var (id, row) in rows)
        {
            _rows[id] = row;
        }

        return rows;
    }

    /// <summary>An item row of the run, from this transition's rows or the store.</summary>
    private async Task<StepItemRow?> ItemRowAsync(RunState run, string stepId, int index, CancellationToken cancellationToken)
    {
        if (_items.TryGetValue((stepId, index), out var known))
        {
            return known;
        }

        var row = await store.GetItemAsync(run.CorrelationId, stepId, index, cancellationToken);
        if (row is not null)
        {
            _items[(stepId, index)] = row;
        }

        return row;
    }

    /// <summary>What dispatching an item of <paramref name="step"/> needs: the outputs its item attempts read, its secrets, the callback URLs.</summary>
    private async Task<DispatchInputs> ItemInputsAsync(RunState run, RunPlan plan, PlanStep step, CancellationToken cancellationToken)
    {
        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (step.ItemReferences.Count > 0)
        {
            foreach (var (id, referenced) in await RowsAsync(run, step.ItemReferences, cancellationToken))
            {
                if (referenced.Output is { } output)
                {
                    outputs[id] = JsonSerializer.Deserialize<JsonElement>(output);
                }
            }
        }

        var inputs = new DispatchInputs(outputs) { CallbackUrls = CallbackUrls(run, plan) };
        return step.SecretNames.Count > 0
            ? inputs with { SealedSecrets = await store.GetSealedSecretsAsync(run.Workspace, step.SecretNames, cancellationToken) }
            : inputs;
    }

    /// <summary>What dispatching <paramref name="step"/> needs: referenced outputs and, by type, what the engine evaluates or reads.</summary>
    private async Task<DispatchInputs> DispatchInputsAsync(RunState run, RunPlan plan, PlanStep step, CancellationToken cancellationToken)
    {
        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (step.References.Count > 0)
        {
            foreach (var (id, referenced) in await RowsAsync(run, step.References, cancellationToken))
            {
                if (referenced.Output is { } output)
                {
                    outputs[id] = JsonSerializer.Deserialize<JsonElement>(output);
                }
            }
        }

        var inputs = new DispatchInputs(outputs) { CallbackUrls = CallbackUrls(run, plan) };
        if (step.ForEach is not null)
        {
            try
            {
                return inputs with { ForEachItems = expressions.ForEachItems(step, run, outputs) };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A forEach that fails to evaluate fails the step (the decision says so), not the transition.
                return inputs with { Problem = ex.Message };
            }
        }

        try
        {
            return step.Type switch
            {
                StepTypes.Callback => inputs with { CallbackBody = await callbacks.ReceivedBodyAsync(run.CorrelationId, step.Id, cancellationToken) },
                StepTypes.Delay => inputs with { DelayUntil = expressions.DelayUntil(step, run, outputs, _now) },
                StepTypes.Approval => inputs with { ApprovalMessage = expressions.ApprovalMessage(step, run, outputs) },
                _ when step.SecretNames.Count > 0 => inputs with { SealedSecrets = await store.GetSealedSecretsAsync(run.Workspace, step.SecretNames, cancellationToken) },
                _ => inputs,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException && step.Type is StepTypes.Delay or StepTypes.Approval)
        {
            // A template that fails to evaluate is the step's failure (the decision says so), not the transition's.
            return inputs with { Problem = ex.Message };
        }
    }

    /// <summary>Every callback step's URL, for any step's expressions (<c>steps.&lt;id&gt;.callbackUrl</c>).</summary>
    private Dictionary<string, string> CallbackUrls(RunState run, RunPlan plan)
    {
        var urls = new Dictionary<string, string>(plan.CallbackSteps.Count, StringComparer.Ordinal);
        foreach (var id in plan.CallbackSteps)
        {
            urls[id] = callbacks.UrlFor(run.CorrelationId, id);
        }

        return urls;
    }

    /// <summary>
    /// Publishes the events this transition added as one message (one outbox row and one broker publish per
    /// transition, not per event). Called once at the end of every transition.
    /// </summary>
    private void PublishTimeline(RunState run)
    {
        foreach (var observer in observers) { observer.Appended(run, _timeline); } // metrics and logs (docs/observability.md)
        if (_timeline.Count == 0 || !_options.PublishLifecycleEvents)
        {
            _timeline.Clear();
            return;
        }

        outbox.Publish(new RunTimelineAppended
        {
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            Events = [.. _timeline],
            Timestamp = _timeline[^1].Timestamp,
        }, run.CorrelationId);
        _timeline.Clear();
    }

    private void AddEvent(RunState run, RunEffect.RecordEvent recorded)
    {
        // Every event carries an attempt (CONTRACT.md section 3): a step's attempt on step events, the run's on run events.
        if (recorded.Attempt is null && recorded.StepId is null)
        {
            recorded = recorded with { Attempt = run.Attempt };
        }

        var traceId = Activity.Current?.TraceId.ToString();
        store.AddEvent(new RunEventRow
        {
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Type = recorded.Type,
            StepId = recorded.StepId,
            Attempt = recorded.Attempt,
            Timestamp = recorded.At,
            Data = recorded.Data,
            TraceId = traceId,
        });
        _timeline.Add(new RunLifecycleEvent
        {
            Type = recorded.Type,
            RunId = run.CorrelationId,
            Workspace = run.Workspace,
            Workflow = run.Workflow,
            Version = run.Version,
            StepId = recorded.StepId,
            Attempt = recorded.Attempt,
            Timestamp = recorded.At,
            TraceId = traceId,
            Data = recorded.Data,
        });
    }
}
