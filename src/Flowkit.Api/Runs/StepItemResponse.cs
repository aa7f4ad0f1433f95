using System.Text.Json;
using Flowkit.Sagas;

namespace Flowkit.Api.Runs;

/// <summary>One item of a for-each step (<c>GET /api/v1/runs/{id}/steps/{stepId}/items</c>).</summary>
/// <param name="Index">Its position in the list, from 0.</param>
/// <param name="Status">pending (not started, or held while the run is paused), running, retrying, succeeded, failed or cancelled.</param>
/// <param name="Attempts">How many attempts it has had (0 before it started).</param>
/// <param name="Item">Its value (<c>item</c> in the step's expressions).</param>
/// <param name="Output">Its output, once succeeded.</param>
/// <param name="Error">Why its last attempt failed, if it did.</param>
/// <param name="StartedAt">When its first attempt started on a worker.</param>
/// <param name="FinishedAt">When it ended.</param>
public sealed record StepItemResponse(
    int Index, string Status, int Attempts, JsonElement Item, JsonElement? Output, string? Error, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    internal static StepItemResponse From(StepItemRow row) =>
        new(row.Index, row.Status.ToString().ToLowerInvariant(), row.Attempt, JsonSerializer.Deserialize<JsonElement>(row.Value),
            row.Output is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Output), row.Error, row.StartedAt, row.FinishedAt);
}
