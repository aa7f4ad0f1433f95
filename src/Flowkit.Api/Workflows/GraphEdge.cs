namespace Flowkit.Api.Workflows;

/// <summary>An edge of <see cref="WorkflowGraph"/>.</summary>
/// <param name="From">The step that comes first.</param>
/// <param name="To">The step that waits for it.</param>
/// <param name="Branch"><c>then</c> or <c>else</c> when <paramref name="From"/> is a condition and the edge is one of its branches; else null.</param>
public sealed record GraphEdge(string From, string To, string? Branch);
