using Flowkit.Definitions;

namespace Flowkit.Api.Workflows;

/// <summary>A workflow's DAG as the engine compiled it: steps in document order and the edges between them.</summary>
/// <param name="Steps">Every step.</param>
/// <param name="Edges">One per need: <c>from</c> must finish (or take <c>branch</c>) before <c>to</c> runs.</param>
/// <param name="Triggers">The triggers' kinds and settings, in document order.</param>
public sealed record WorkflowGraph(IReadOnlyList<GraphStep> Steps, IReadOnlyList<GraphEdge> Edges, IReadOnlyList<GraphTrigger> Triggers)
{
    internal static WorkflowGraph From(Compilation compilation)
    {
        var plan = compilation.Plan!;
        var steps = plan.Steps
            .Select(s => new GraphStep(s.Id, s.Type, s.Spec.TryGetProperty("forEach", out _), s.Type == "workflow", s.Needs.Count > 1, s.Needs.Count == 0))
            .ToArray();
        var edges = plan.Steps
            .SelectMany(s => s.Needs.Select(n => new GraphEdge(n.StepId, s.Id, n.Branch switch { true => "then", false => "else", null => null })))
            .ToArray();
        var triggers = compilation.Definition!.Triggers.Select(GraphTrigger.From).ToArray();
        return new WorkflowGraph(steps, edges, triggers);
    }
}
