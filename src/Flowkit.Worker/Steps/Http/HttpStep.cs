using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// <c>http</c>: <c>with: {method, url, headers, body, expectedStatuses}</c>; the output is
/// <c>{status, headers, body}</c> with a JSON body parsed and any other body as text. 2xx and the listed expected
/// statuses succeed; 5xx, 429 and 408 fail retryably; every other status fails at once.
/// </summary>
internal sealed class HttpStep(ExpressionEngine expressions, OutboundHttp http, IOptions<HttpStepOptions> options) : IStepExecutor
{
    public string Type => "http";

    public async Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var command = request.Command;
        var with = StepSettings.EvaluateWith(expressions, request);
        var method = (StepSettings.OptionalText(with, "method") ?? "GET").Trim().ToUpperInvariant();
        var url = StepSettings.RequiredText(with, "url", command.StepId);
        var (body, contentType) = Body(with["body"]);
        var outbound = new OutboundRequest(method, url, Headers(with["headers"]), body, contentType);
        var secrets = request.Scope.Secrets?.Values.ToArray() ?? [];

        // The step's own timeout arrives as the deadline on the cancellation token; without one the default applies.
        var timeout = command.Deadline is null ? options.Value.Timeout : (TimeSpan?)null;
        var response = await http.SendAsync(outbound, command.IdempotencyKey, timeout, secrets, cancellationToken);

        HttpAnswers.EnsureSuccess(response, ExpectedStatuses(with["expectedStatuses"]));
        return HttpAnswers.Output(response);
    }

    private static List<KeyValuePair<string, string>> Headers(JsonNode? node)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (node is null)
        {
            return headers;
        }

        if (node is not JsonObject obj)
        {
            throw new StepFailedException("'headers' must be a group of name: value pairs.", false, "invalid_request");
        }

        foreach (var (name, value) in obj)
        {
            if (value is null)
            {
                continue;
            }

            var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value.ToJsonString();
            headers.Add(new(name, text));
        }

        return headers;
    }

    private static (byte[]? Body, string? ContentType) Body(JsonNode? node) => node switch
    {
        null => (null, null),
        JsonValue text when text.GetValueKind() == JsonValueKind.String =>
            (Encoding.UTF8.GetBytes(text.GetValue<string>()), "text/plain; charset=utf-8"),
        _ => (Encoding.UTF8.GetBytes(node.ToJsonString()), "application/json"),
    };

    private static HashSet<int> ExpectedStatuses(JsonNode? node)
    {
        var statuses = new HashSet<int>();
        if (node is JsonArray list)
        {
            foreach (var item in list)
            {
                if (item is JsonValue value && value.TryGetValue<int>(out var status))
                {
                    statuses.Add(status);
                }
            }
        }

        return statuses;
    }
}
