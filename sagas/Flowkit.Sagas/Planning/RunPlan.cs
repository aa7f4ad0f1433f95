using System.Collections.Frozen;

namespace Flowkit.Sagas.Planning;

/// <summary>
/// The compiled, immutable DAG of one workflow version: what the run saga executes.
/// Built by Flowkit.Definitions from a validated definition and cached per version.
/// </summary>
public sealed class RunPlan
{
    private readonly FrozenDictionary<string, PlanStep> _byId;

    public RunPlan(IReadOnlyList<PlanStep> steps, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
        Options = options ?? RunOptions.Default;
        _byId = steps.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        Roots = steps.Where(s => s.Needs.Count == 0).ToArray();
        CallbackSteps = steps.Where(s => s.Type == StepTypes.Callback).Select(s => s.Id).ToArray();
    }

    /// <summary>Ids of the callback steps, whose URLs every step of a run can read (kept here so a dispatch need not scan the plan).</summary>
    public IReadOnlyList<string> CallbackSteps { get; }

    /// <summary>Steps in document order (<see cref="PlanStep.Index"/>).</summary>
    public IReadOnlyList<PlanStep> Steps { get; }

    /// <summary>Steps with no needs: dispatched when the run starts.</summary>
    public IReadOnlyList<PlanStep> Roots { get; }

    public RunOptions Options { get; }

    public PlanStep this[string stepId] => _byId[stepId];

    public bool TryGetStep(string stepId, out PlanStep? step) => _byId.TryGetValue(stepId, out step);
}

/// <summary>Run-level options of a definition.</summary>
/// <param name="Timeout">The whole run fails when it runs longer than this.</param>
/// <param name="ConcurrencyLimit">At most this many runs of the workflow run at once; the rest wait as pending.</param>
public sealed record RunOptions(TimeSpan? Timeout, int? ConcurrencyLimit)
{
    public static RunOptions Default { get; } = new(null, null);
}

/// <summary>One node of the DAG.</summary>
/// <param name="Id">The step id from the definition.</param>
/// <param name="Index">Position in the document (0-based); stable order for display and ties.</param>
/// <param name="Type">The step type (<see cref="StepTypes"/>).</param>
/// <param name="Needs">Incoming edges. A step runs when every need is finished and at least one succeeded.</param>
/// <param name="Dependents">Ids of the steps that have an edge from this one, in document order.</param>
/// <param name="Spec">The step's own settings as JSON (<c>with</c>, <c>if</c>, <c>message</c>, <c>for</c>, ...), templates unevaluated.</param>
/// <param name="References">Ids of steps whose outputs this step's expressions read (<c>steps.x.output</c>).</param>
/// <param name="Retry">Domain retry policy for failed attempts.</param>
/// <param name="Timeout">Per-attempt timeout; null means the type's default.</param>
/// <param name="ContinueOnError">A failure of this step does not fail the run; dependents treat it as finished.</param>
public sealed record PlanStep(
    string Id,
    int Index,
    string Type,
    IReadOnlyList<Need> Needs,
    IReadOnlyList<string> Dependents,
    System.Text.Json.JsonElement Spec,
    IReadOnlyList<string> References,
    RetryPolicy Retry,
    TimeSpan? Timeout,
    bool ContinueOnError)
{
    /// <summary>Names of the secrets this step's expressions read (<c>secrets.name</c>); the engine sends them sealed.</summary>
    public IReadOnlyList<string> SecretNames { get; init; } = [];

    /// <summary>
    /// <c>forEach</c>: the template (<c>{{ expr }}</c>) giving the list the step runs over, once per item; null for an
    /// ordinary step. The engine evaluates it when the step starts (docs/workflow-language.md, for-each).
    /// </summary>
    public string? ForEach { get; init; }

    /// <summary>For a for-each step: at most this many items in flight at once (<c>concurrency</c>, default 1).</summary>
    public int ForEachConcurrency { get; init; } = 1;

    /// <summary>
    /// For a for-each step: the steps whose outputs its item attempts read (<see cref="References"/> without those
    /// only <c>forEach</c> reads), so an item's message does not carry the whole list it came from.
    /// </summary>
    public IReadOnlyList<string> ItemReferences { get; init; } = [];

    /// <summary>Approval, delay and callback wait inside the engine; every other type runs on a worker.</summary>
    public bool RunsOnWorker => Type is not (StepTypes.Approval or StepTypes.Delay or StepTypes.Callback);
}

/// <summary>
/// An edge into a step. <paramref name="Branch"/> null means "the step <paramref name="StepId"/> finished";
/// true or false means "the condition <paramref name="StepId"/> took that branch" (then or else): the edge
/// counts as succeeded when the branch was taken and as skipped when it was not.
/// </summary>
public sealed record Need(string StepId, bool? Branch = null);

/// <summary>Domain retries: attempts are the total number of tries (1 = no retry).</summary>
public sealed record RetryPolicy(int Attempts, BackoffKind Backoff, TimeSpan Delay, TimeSpan? MaxDelay, bool Jitter)
{
    public static RetryPolicy None { get; } = new(1, BackoffKind.Fixed, TimeSpan.Zero, null, false);

    /// <summary>
    /// For http steps, <c>retry.on</c>: which failures are worth another attempt (<see cref="RetryOn"/> classes such as
    /// <c>5xx</c>, <c>429</c>, <c>timeout</c>, <c>network</c>); null leaves it to the step (5xx, 429, timeouts and
    /// network errors).
    /// </summary>
    public IReadOnlyList<string>? On { get; init; }
}

public enum BackoffKind
{
    Fixed,
    Exponential,
}

/// <summary>The step types of CONTRACT.md section 1.</summary>
public static class StepTypes
{
    public const string Http = "http";
    public const string Transform = "transform";
    public const string Condition = "condition";
    public const string Approval = "approval";
    public const string Delay = "delay";
    public const string Notify = "notify";
    public const string Script = "script";

    /// <summary>Waits for an external system to POST to the step's one-time URL (CONTRACT.md section 4).</summary>
    public const string Callback = "callback";

    /// <summary>Calls an action of a registered connector (CONTRACT.md section 4), through the same HTTP machinery as <see cref="Http"/>.</summary>
    public const string Connector = "connector";

    public static IReadOnlyList<string> All { get; } = [Http, Transform, Condition, Approval, Delay, Notify, Script, Callback, Connector];
}
