using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions;

/// <summary>The text format of a definition document.</summary>
public enum DocumentFormat
{
    Yaml,
    Json,
}

/// <summary>One problem in a definition.</summary>
/// <param name="Path">JSON path of the offending value, like <c>$.steps[2].with.url</c>.</param>
/// <param name="Message">What is wrong and how to fix it, in plain words.</param>
public sealed record ValidationError(string Path, string Message);

/// <summary>
/// The result of compiling a definition: on success the typed definition, the run plan and the canonical
/// JSON (equal for equal definitions whatever their format, key order or spacing); otherwise every problem found.
/// </summary>
public sealed record Compilation(
    WorkflowDefinition? Definition,
    RunPlan? Plan,
    string? CanonicalJson,
    IReadOnlyList<ValidationError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
