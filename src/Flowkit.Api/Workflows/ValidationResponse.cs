namespace Flowkit.Api.Workflows;

/// <summary>What <c>POST /api/v1/workflows/validate</c> answers.</summary>
/// <param name="Valid">True when create or update would accept the definition.</param>
/// <param name="Name">The workflow's name, when valid.</param>
/// <param name="Errors">Every problem, as create and update list them, each with its line.</param>
/// <param name="Graph">The DAG runs would execute, when valid.</param>
public sealed record ValidationResponse(bool Valid, string? Name, IReadOnlyList<LocatedProblem> Errors, WorkflowGraph? Graph);
