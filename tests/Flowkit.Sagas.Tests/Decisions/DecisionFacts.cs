using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>Inputs for the pure decision tests: a run, step states and a fixed clock and jitter.</summary>
internal static class DecisionFacts
{
    public static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    public static readonly Guid RunId = Guid.Parse("0193a000-0000-7000-8000-000000000001");

    public static RunFacts Run(int remaining = 2, bool holdsSlot = false, int openApprovals = 0) =>
        new(RunId, "default", "wf", 1, """{"id":7}""")
        {
            RemainingSteps = remaining,
            OpenApprovals = openApprovals,
            HoldsSlot = holdsSlot,
            StartedAt = Now.AddMinutes(-1),
        };

    public static DecisionContext Context(double jitter = 0.5) => new(Now, jitter, TimeSpan.FromMinutes(5));

    public static StepState Step(string id, StepStatus status, int attempt = 1, int pending = 0, int succeeded = 0) =>
        new(id, 0, status, attempt, pending, succeeded) { AttemptDispatchedAt = Now.AddSeconds(-10) };

    public static StepFinished Finished(string id, int attempt, bool succeeded = true, bool retryable = true, string output = """{"ok":true}""") => new()
    {
        RunId = RunId,
        StepId = id,
        Attempt = attempt,
        Succeeded = succeeded,
        Output = succeeded ? JsonDocument.Parse(output).RootElement.Clone() : null,
        Error = succeeded ? null : new StepError("boom", retryable),
        StartedAt = Now.AddSeconds(-5),
        Timestamp = Now.AddSeconds(-1),
    };

    public static IReadOnlyList<string> Events(this RunDecision decision) => decision.Of<RunEffect.RecordEvent>().Select(e => e.Type).ToArray();

    public static StepState StepSet(this RunDecision decision, string id) => decision.Of<RunEffect.SetStep>().Last(s => s.Step.StepId == id).Step;
}
