namespace Flowkit.Definitions.Subscriptions;

/// <summary>What reading a subscription gave: the subscription, or every problem found (path and message).</summary>
public sealed record SubscriptionReading(Subscription? Subscription, IReadOnlyList<ValidationError> Errors)
{
    public bool IsValid => Subscription is not null && Errors.Count == 0;
}
