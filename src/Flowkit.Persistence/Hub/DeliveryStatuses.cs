namespace Flowkit.Persistence.Hub;

/// <summary>The statuses of a delivery (docs/integrations.md).</summary>
public static class DeliveryStatuses
{
    /// <summary>Waiting for its next attempt (the first, or a retry after its backoff).</summary>
    public const string Pending = "pending";

    /// <summary>An attempt is under way.</summary>
    public const string Sending = "sending";

    /// <summary>The destination took it.</summary>
    public const string Delivered = "delivered";

    /// <summary>Dead-lettered: every attempt failed, or the failure cannot pass on retry. An operator can redrive it.</summary>
    public const string Dead = "dead";
}
