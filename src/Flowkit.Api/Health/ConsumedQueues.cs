namespace Flowkit.Api.Health;

/// <summary>The queues this process's roles consume from (engine: flowkit-runs; worker: the step queues).</summary>
public sealed record ConsumedQueues(IReadOnlyList<string> Names);
