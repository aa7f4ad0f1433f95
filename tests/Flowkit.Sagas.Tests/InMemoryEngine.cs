using System.Text.Json;
using Flowkit.Sagas.Planning;
using MassTransit;

namespace Flowkit.Sagas.Tests;

/// <summary>In-memory stand-ins for the engine's storage, for state machine tests on MassTransit's harness.</summary>
internal sealed class InMemoryRunStore(RunPlan plan) : IRunStore
{
    public Dictionary<(Guid, string), StepRow> Steps { get; } = [];

    public List<RunEventRow> Events { get; } = [];

    public List<StepAttemptRow> Attempts { get; } = [];

    public List<ApprovalRow> Approvals { get; } = [];

    public ValueTask<RunPlan> GetPlanAsync(Guid workflowId, int version, CancellationToken cancellationToken) => ValueTask.FromResult(plan);

    public Task<IReadOnlyDictionary<string, StepRow>> GetStepsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken)
    {
        lock (Steps)
        {
            return Task.FromResult<IReadOnlyDictionary<string, StepRow>>(
                stepIds.Where(id => Steps.ContainsKey((runId, id))).ToDictionary(id => id, id => Steps[(runId, id)], StringComparer.Ordinal));
        }
    }

    public void AddSteps(IEnumerable<StepRow> steps)
    {
        lock (Steps)
        {
            foreach (var row in steps)
            {
                Steps[(row.RunId, row.StepId)] = row;
            }
        }
    }

    public void AddEvent(RunEventRow runEvent)
    {
        lock (Events)
        {
            Events.Add(runEvent);
        }
    }

    public Task CancelOpenStepsAsync(Guid runId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (Steps)
        {
            foreach (var row in Steps.Values.Where(r => r.RunId == runId && !RunScheduler.IsTerminal(r.Status)))
            {
                row.Status = StepStatus.Cancelled;
                row.FinishedAt = at;
            }
        }

        return Task.CompletedTask;
    }

    public void AddAttempt(StepAttemptRow attempt) => Attempts.Add(attempt);

    public void AddApproval(ApprovalRow approval) => Approvals.Add(approval);

    public Task<bool> TryExpireApprovalAsync(Guid runId, string stepId, int attempt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var open = Approvals.SingleOrDefault(a => a.RunId == runId && a.StepId == stepId && a.Attempt == attempt && a.Decision is null);
        if (open is not null)
        {
            open.Decision = "expired";
        }

        return Task.FromResult(open is not null);
    }

    public Task<IReadOnlyList<StepRow>> GetIdleStepsAsync(Guid runId, CancellationToken cancellationToken)
    {
        lock (Steps)
        {
            return Task.FromResult<IReadOnlyList<StepRow>>([.. Steps.Values.Where(r => r.RunId == runId
                && ((r.Status == StepStatus.Pending && r.PendingNeeds == 0) || r.Status == StepStatus.Waiting))]);
        }
    }

    public Task<IReadOnlyList<ApprovalRow>> GetApprovalsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ApprovalRow>>([.. Approvals.Where(a => a.RunId == runId && stepIds.Contains(a.StepId))]);

    public Task<IReadOnlyList<StepRow>> GetRecordedStepsAsync(Guid runId, CancellationToken cancellationToken)
    {
        lock (Steps)
        {
            return Task.FromResult<IReadOnlyList<StepRow>>([.. Steps.Values.Where(r => r.RunId == runId)]);
        }
    }

    public Task<IReadOnlyDictionary<string, string>> GetSealedSecretsAsync(string workspace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(names.ToDictionary(n => n, n => $"sealed:{n}"));

    public Dictionary<(Guid, string, int), StepItemRow> Items { get; } = [];

    public Task AddItemsAsync(Guid runId, string stepId, JsonElement list, CancellationToken cancellationToken)
    {
        lock (Items)
        {
            var index = 0;
            foreach (var value in list.EnumerateArray())
            {
                Items[(runId, stepId, index)] = new StepItemRow { RunId = runId, StepId = stepId, Index = index, Value = value.GetRawText() };
                index++;
            }
        }

        return Task.CompletedTask;
    }

    public Task<StepItemRow?> GetItemAsync(Guid runId, string stepId, int index, CancellationToken cancellationToken)
    {
        lock (Items)
        {
            return Task.FromResult(Items.GetValueOrDefault((runId, stepId, index)));
        }
    }

    public Task<IReadOnlyList<StepItemRow>> GetHeldItemsAsync(Guid runId, string stepId, CancellationToken cancellationToken)
    {
        lock (Items)
        {
            return Task.FromResult<IReadOnlyList<StepItemRow>>(
                [.. Items.Values.Where(i => i.RunId == runId && i.StepId == stepId && i.Status == StepStatus.Pending && i.Attempt > 0)]);
        }
    }

    public Task<string> GetItemOutputsAsync(Guid runId, string stepId, CancellationToken cancellationToken)
    {
        lock (Items)
        {
            var slots = Items.Values.Where(i => i.RunId == runId && i.StepId == stepId).OrderBy(i => i.Index)
                .Select(i => i.Status == StepStatus.Succeeded ? i.Output ?? "null" : JsonSerializer.Serialize(new { error = new { message = i.Error, code = i.ErrorCode } }));
            return Task.FromResult($"[{string.Join(",", slots)}]");
        }
    }
}

/// <summary>Records what the saga would have sent, published and scheduled.</summary>
internal sealed class RecordingOutbox : IOutbox
{
    public List<(string Queue, object Message)> Sent { get; } = [];

    public List<object> Published { get; } = [];

    public Dictionary<Guid, (object Message, DateTimeOffset Due)> Timers { get; } = [];

    public void Send<T>(string queue, T message, Guid runId)
        where T : class
    {
        lock (Sent)
        {
            Sent.Add((queue, message));
        }
    }

    public void Publish<T>(T message, Guid runId)
        where T : class
    {
        lock (Published)
        {
            Published.Add(message);
        }
    }

    public void Schedule<T>(T message, DateTimeOffset due, Guid token, Guid runId)
        where T : class
    {
        lock (Timers)
        {
            Timers[token] = (message, due);
        }
    }

    public Task CancelAsync(Guid token, CancellationToken cancellationToken)
    {
        lock (Timers)
        {
            Timers.Remove(token);
        }

        return Task.CompletedTask;
    }

    public Task CancelAllAsync(Guid runId, CancellationToken cancellationToken)
    {
        lock (Timers)
        {
            Timers.Clear();
        }

        return Task.CompletedTask;
    }

    public void Discard<T>(Guid runId)
        where T : class
    {
        lock (Sent)
        {
            Sent.RemoveAll(s => s.Message is T && s.Message is Flowkit.Contracts.IRunMessage m && m.RunId == runId);
        }
    }

    public IEnumerable<T> SentOf<T>() => Sent.Select(s => s.Message).OfType<T>();
}

/// <summary>Concurrency slots that say yes or no as the test wants.</summary>
internal sealed class FixedSlots : IConcurrencySlots
{
    public bool Available { get; set; } = true;

    public int Released { get; private set; }

    public Task<bool> TryAcquireAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult(Available);

    public Task ReleaseAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Released++;
        return Task.CompletedTask;
    }

    public Task<(int Before, int After, int Handed)> ReconcileAsync(Guid workflowId, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult((0, 0, 0));

    public Task LeaveAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Delays wait 'for' a fixed number of seconds; approval messages are the raw text.</summary>
internal sealed class SimpleExpressions : IEngineExpressions
{
    public DateTimeOffset DelayUntil(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs, DateTimeOffset now) =>
        now + TimeSpan.FromSeconds(planStep.Spec.GetProperty("seconds").GetInt32());

    public string ApprovalMessage(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs) =>
        planStep.Spec.GetProperty("message").GetString()!;

    /// <summary>The for-each list is the spec's <c>items</c> as written.</summary>
    public JsonElement ForEachItems(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs) =>
        planStep.Spec.GetProperty("items").Clone();
}
