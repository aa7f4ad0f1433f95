using System.Security.Cryptography;
using System.Text;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Subscriptions;

namespace Flowkit.Hub.Destinations;

/// <summary>
/// <c>webhook</c>: posts the event as JSON, with the event id as <c>Idempotency-Key</c> and, when the destination has a
/// secret, <c>X-Flowkit-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c> (the scheme of Flowkit's own
/// webhook triggers, so one verifier serves both).
/// </summary>
internal sealed class WebhookSender(ExpressionEngine expressions, HttpPost post) : IDestinationSender
{
    public string Kind => DestinationTypes.Webhook;

    public Task<string> SendAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var url = HubTemplates.Render(expressions, request.Destination.Url!, request.Scope, "url");
        var body = Encoding.UTF8.GetBytes(request.Event.GetRawText());
        var headers = new List<KeyValuePair<string, string>>
        {
            new("X-Flowkit-Event", request.Delivery.EventType),
            new("X-Flowkit-Delivery", request.Delivery.Id.ToString("D")),
        };
        if (request.Destination.Secret is { } secretTemplate)
        {
            var secret = HubTemplates.Render(expressions, secretTemplate, request.Scope, "secret");
            headers.Add(new("X-Flowkit-Signature", Sign(secret, body)));
        }

        return post.SendAsync(request, url, body, headers, cancellationToken);
    }

    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
