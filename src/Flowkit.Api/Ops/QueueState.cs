namespace Flowkit.Api.Ops;

/// <summary>A queue as the broker's management API reports it.</summary>
public sealed record QueueState(string Name, int Consumers, int Messages, int Ready, int Unacknowledged);
