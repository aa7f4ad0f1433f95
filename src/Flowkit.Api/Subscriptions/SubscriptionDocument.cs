using Flowkit.Definitions.Subscriptions;

namespace Flowkit.Api.Subscriptions;

/// <summary>The body of PUT /api/v1/subscriptions/{name} (YAML or JSON), for the OpenAPI document.</summary>
/// <param name="Events">Lifecycle event names, e.g. RunSucceeded, RunFailed.</param>
/// <param name="Workflow">Only events of this workflow (all workflows when absent).</param>
/// <param name="Destinations">slack {url, text}, webhook {url, secret?}, email {to, subject, text} or workflow {workflow}.</param>
/// <param name="Description">Free text.</param>
public sealed record SubscriptionDocument(IReadOnlyList<string> Events, string? Workflow, IReadOnlyList<Destination> Destinations, string? Description);
