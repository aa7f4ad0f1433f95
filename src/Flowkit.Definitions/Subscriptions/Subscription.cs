namespace Flowkit.Definitions.Subscriptions;

/// <summary>
/// An integration hub subscription (CONTRACT.md section 4): which lifecycle events, of which workflow (all when null),
/// go to which destinations. Read and checked by <see cref="SubscriptionReader"/>.
/// </summary>
/// <param name="Events">Lifecycle event names, e.g. <c>RunSucceeded</c>.</param>
/// <param name="Workflow">Only events of this workflow; null for every workflow of the workspace.</param>
/// <param name="Destinations">Where each matching event goes; each is delivered and retried on its own.</param>
/// <param name="Description">Free text for people.</param>
public sealed record Subscription(
    IReadOnlyList<string> Events,
    string? Workflow,
    IReadOnlyList<Destination> Destinations,
    string? Description = null)
{
    /// <summary>Whether an event of <paramref name="type"/> of <paramref name="workflow"/> goes to this subscription.</summary>
    public bool Matches(string type, string workflow) =>
        Events.Contains(type, StringComparer.Ordinal) && (Workflow is null || string.Equals(Workflow, workflow, StringComparison.Ordinal));
}
