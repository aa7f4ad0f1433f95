namespace Flowkit.Api.Workflows;

/// <summary>A node of <see cref="WorkflowGraph"/>.</summary>
/// <param name="Id">The step id.</param>
/// <param name="Type">The step type.</param>
/// <param name="ForEach">The step runs once per item of a list (for-each).</param>
/// <param name="SubWorkflow">The step starts a child run (sub-workflow).</param>
/// <param name="Join">The step waits for more than one step (fan-in).</param>
/// <param name="Root">The step starts when the run starts.</param>
public sealed record GraphStep(string Id, string Type, bool ForEach, bool SubWorkflow, bool Join, bool Root);
