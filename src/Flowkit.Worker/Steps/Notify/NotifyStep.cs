using System.Text;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker.Steps.Http;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Steps.Notify;

/// <summary>
/// <c>notify</c>: posts <c>{"text": ...}</c> to a Slack-compatible incoming webhook (<c>with: {url, text}</c>)
/// through the same guarded client as <c>http</c>. The output is <c>{status}</c>; 5xx, 429 and 408 fail retryably,
/// any other non-2xx at once.
/// </summary>
internal sealed class NotifyStep(ExpressionEngine expressions, OutboundHttp http, IOptions<HttpStepOptions> options) : IStepExecutor
{
    public string Type => "notify";

    public async Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var command = request.Command;
        var with = StepSettings.EvaluateWith(expressions, request);
        var url = StepSettings.RequiredText(with, "url", command.StepId);
        var text = StepSettings.OptionalText(with, "text") ?? string.Empty;
        var payload = new JsonObject { ["text"] = text }.ToJsonString();
        var outbound = new OutboundRequest("POST", url, [], Encoding.UTF8.GetBytes(payload), "application/json");
        var secrets = request.Scope.Secrets?.Values.ToArray() ?? [];
        var timeout = command.Deadline is null ? options.Value.Timeout : (TimeSpan?)null;

        var response = await http.SendAsync(outbound, command.IdempotencyKey, timeout, secrets, cancellationToken);
        if (!response.IsSuccessStatus)
        {
            var excerpt = response.Excerpt();
            throw new StepFailedException(
                $"The notification webhook ({response.Description}) answered {response.Status} {response.Reason}{(excerpt.Length > 0 ? $": {excerpt}" : string.Empty)}.",
                response.IsRetryableStatus,
                "http_status");
        }

        return new JsonObject { ["status"] = response.Status };
    }
}
