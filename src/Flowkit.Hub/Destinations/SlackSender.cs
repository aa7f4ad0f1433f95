using System.Text;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Subscriptions;

namespace Flowkit.Hub.Destinations;

/// <summary><c>slack</c>: posts <c>{"text": ...}</c> to a Slack-compatible incoming webhook; text from its template over the event.</summary>
internal sealed class SlackSender(ExpressionEngine expressions, HttpPost post) : IDestinationSender
{
    public string Kind => DestinationTypes.Slack;

    public Task<string> SendAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var url = HubTemplates.Render(expressions, request.Destination.Url!, request.Scope, "url");
        var text = HubTemplates.Render(expressions, request.Destination.Text ?? string.Empty, request.Scope, "text");
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["text"] = text }.ToJsonString());
        return post.SendAsync(request, url, body, [], cancellationToken);
    }
}
