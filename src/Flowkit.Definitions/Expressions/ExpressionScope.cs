using System.Text.Json;

namespace Flowkit.Definitions.Expressions;

/// <summary>What an expression can read.</summary>
/// <param name="Input">The run's input (<c>input</c>); for webhooks <c>{body, headers, query}</c>.</param>
/// <param name="StepOutputs">
/// Outputs of finished steps by step id (<c>steps.&lt;id&gt;.output</c>). A step missing here (skipped, not run
/// yet) reads as <c>undefined</c>. Passing only the step's <see cref="Sagas.Planning.PlanStep.References"/> is enough.
/// </param>
/// <param name="Run">The run (<c>run.id</c>, <c>run.workflow</c>, <c>run.version</c>, <c>run.attempt</c>).</param>
/// <param name="Secrets">Secret values by name (<c>secrets.&lt;name&gt;</c>); they are masked in error messages.</param>
/// <param name="CallbackUrls">The run's callback URLs by step id (<c>steps.&lt;id&gt;.callbackUrl</c>).</param>
public sealed record ExpressionScope(
    JsonElement Input,
    IReadOnlyDictionary<string, JsonElement> StepOutputs,
    RunInfo Run,
    IReadOnlyDictionary<string, string>? Secrets = null,
    IReadOnlyDictionary<string, string>? CallbackUrls = null)
{
    /// <summary>More names an expression can read, by name (the integration hub's templates read <c>event</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement>? Globals { get; init; }
}

/// <summary>The run an expression is evaluated for.</summary>
/// <param name="Id">Run id.</param>
/// <param name="Workflow">Workflow name.</param>
/// <param name="Version">Workflow version the run is pinned to.</param>
/// <param name="Attempt">Attempt number of the step being evaluated (1 for the first try).</param>
public sealed record RunInfo(Guid Id, string Workflow, int Version, int Attempt);
