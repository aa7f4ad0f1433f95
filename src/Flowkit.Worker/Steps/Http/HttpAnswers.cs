using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// How an answer of an outbound step call becomes the step's result, shared by <c>http</c> and <c>connector</c> steps:
/// which statuses fail (retryably or not, with the status for <c>retry.on</c>), and the output <c>{status, headers, body}</c>
/// with a JSON body parsed and any other body as text.
/// </summary>
internal static class HttpAnswers
{
    /// <summary>Throws <see cref="StepFailedException"/> unless the status is 2xx or one of <paramref name="expected"/>.</summary>
    public static void EnsureSuccess(OutboundResponse response, IReadOnlySet<int> expected)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(expected);
        if (response.IsSuccessStatus || expected.Contains(response.Status))
        {
            return;
        }

        var hint = response.IsRetryableStatus ? string.Empty : " List it in expectedStatuses if it is an answer the workflow handles.";
        var excerpt = response.Excerpt();
        throw new StepFailedException(
            $"{response.Description} answered {response.Status} {response.Reason}{(excerpt.Length > 0 ? $": {excerpt}" : string.Empty)}.{hint}",
            response.IsRetryableStatus,
            "http_status",
            response.Status);
    }

    /// <summary><c>{status, headers, body}</c>.</summary>
    public static JsonObject Output(OutboundResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = new JsonObject();
        foreach (var (name, value) in response.Headers)
        {
            headers[name] = value;
        }

        return new JsonObject
        {
            ["status"] = response.Status,
            ["headers"] = headers,
            ["body"] = ParseBody(response),
        };
    }

    private static JsonNode? ParseBody(OutboundResponse response)
    {
        if (response.Body.Length == 0)
        {
            return null;
        }

        if (IsJson(response.MediaType))
        {
            try
            {
                return JsonNode.Parse(response.Body);
            }
            catch (JsonException)
            {
                // Said JSON but is not: keep the text so the workflow can still see what came back.
            }
        }

        return JsonValue.Create(response.BodyText());
    }

    private static bool IsJson(string? mediaType) =>
        mediaType is not null
        && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
