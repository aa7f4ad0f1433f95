namespace Flowkit.Testing;

/// <summary>A queue of a <see cref="PrivateRabbitMq"/> as its management API reports it.</summary>
public sealed record BrokerQueue(string Name, int Consumers, int Messages);
