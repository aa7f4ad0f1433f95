namespace Flowkit.Api.Subscriptions;

/// <summary>Optional body of POST .../deliveries/{id}/redrive.</summary>
/// <param name="Reason">Why it is sent again (the cause that was fixed), written to the log with the caller's name.</param>
public sealed record RedriveDeliveryRequest(string? Reason);
