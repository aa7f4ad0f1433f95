namespace Flowkit.Host.Observability;

/// <summary>One queue as the RabbitMQ management API reported it.</summary>
internal sealed record QueueSnapshot(string Name, long Ready, long Unacknowledged, long Consumers);
