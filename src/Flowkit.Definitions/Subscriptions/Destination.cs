namespace Flowkit.Definitions.Subscriptions;

/// <summary>
/// One destination of a subscription. Which fields apply depends on <see cref="Type"/>: <c>slack</c> (url, text),
/// <c>webhook</c> (url, secret), <c>email</c> (to, subject, text) or <c>workflow</c> (workflow). Text fields are
/// templates over <c>event</c> and <c>secrets</c>.
/// </summary>
/// <param name="Type">slack, webhook, email or workflow.</param>
/// <param name="Url">The address to post to (slack, webhook); may be <c>{{ secrets.name }}</c>.</param>
/// <param name="Text">The message text template (slack, email).</param>
/// <param name="Secret">The HMAC key, always a <c>{{ secrets.name }}</c> reference (webhook).</param>
/// <param name="To">Recipient addresses (email).</param>
/// <param name="Subject">The subject template (email).</param>
/// <param name="Workflow">The workflow to start with the event as input (workflow).</param>
public sealed record Destination(
    string Type,
    string? Url = null,
    string? Text = null,
    string? Secret = null,
    IReadOnlyList<string>? To = null,
    string? Subject = null,
    string? Workflow = null);
