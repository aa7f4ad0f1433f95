namespace Flowkit.Hub.Destinations;

/// <summary>Sends deliveries of one destination kind. Registered by kind; adding a kind is one class and one line.</summary>
internal interface IDestinationSender
{
    /// <summary>slack, webhook, email or workflow.</summary>
    string Kind { get; }

    /// <summary>Makes one attempt; returns what the destination answered, for the delivery log.</summary>
    /// <exception cref="Delivery.DeliveryFailedException">The attempt failed (retryable or not).</exception>
    Task<string> SendAsync(DeliveryRequest request, CancellationToken cancellationToken);
}
