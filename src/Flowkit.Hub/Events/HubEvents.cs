using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Contracts;

namespace Flowkit.Hub.Events;

/// <summary>The JSON form of a lifecycle event as destinations receive it (docs/integrations.md, "The event").</summary>
internal static class HubEvents
{
    public static string ToJson(RunLifecycleEvent e, Guid eventId, string subscription)
    {
        ArgumentNullException.ThrowIfNull(e);
        JsonNode? data = null;
        if (e.Data is { Length: > 0 } text)
        {
            try
            {
                data = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                data = text;
            }
        }

        var json = new JsonObject
        {
            ["id"] = eventId.ToString("D"),
            ["type"] = e.Type,
            ["subscription"] = subscription,
            ["runId"] = e.RunId.ToString("D"),
            ["workspace"] = e.Workspace,
            ["workflow"] = e.Workflow,
            ["version"] = e.Version,
            ["stepId"] = e.StepId,
            ["attempt"] = e.Attempt,
            ["timestamp"] = e.Timestamp.ToUniversalTime(),
            ["traceId"] = e.TraceId,
            ["data"] = data,
        };
        return json.ToJsonString();
    }
}
