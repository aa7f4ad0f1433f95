namespace Flowkit.Contracts;

/// <summary>The integration hub's queues (docs/integrations.md), each visible in the RabbitMQ management UI.</summary>
public static class HubQueues
{
    /// <summary>The hub's copy of every lifecycle event (<see cref="RunTimelineAppended"/>), matched against subscriptions.</summary>
    public const string Events = "flowkit-hub-events";

    /// <summary>One <see cref="DeliverEvent"/> per attempt of one delivery to one destination.</summary>
    public const string Deliveries = "flowkit-hub-deliveries";
}
