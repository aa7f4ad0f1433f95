namespace Flowkit.Definitions.Subscriptions;

/// <summary>The destination kinds of the integration hub; also the bounded <c>kind</c> label of its metrics.</summary>
public static class DestinationTypes
{
    public const string Slack = "slack";
    public const string Webhook = "webhook";
    public const string Email = "email";
    public const string Workflow = "workflow";

    public static IReadOnlyList<string> All { get; } = [Slack, Webhook, Email, Workflow];
}
