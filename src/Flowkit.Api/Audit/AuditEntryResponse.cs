using System.Text.Json;
using Flowkit.Persistence.Audit;

namespace Flowkit.Api.Audit;

/// <summary>An entry of the audit log.</summary>
/// <param name="Id">The entry's id.</param>
/// <param name="At">When the change committed (the API's clock).</param>
/// <param name="Actor">The key that made the change.</param>
/// <param name="Action">What was done, as resource.verb (workflow.update, run.cancel, key.rotate, ...).</param>
/// <param name="Target">What it was done to, as kind/name (workflow/invoices, run/{id}, secret/slack_url, key/{id}).</param>
/// <param name="Before">The target before the change (for definitions: the version and where to read it), or null.</param>
/// <param name="After">The target after the change, or null.</param>
public sealed record AuditEntryResponse(Guid Id, DateTimeOffset At, AuditActor Actor, string Action, string Target, JsonElement? Before, JsonElement? After)
{
    internal static AuditEntryResponse From(AuditEntryRow row) =>
        new(row.Id, row.At, new AuditActor(row.ActorKeyId, row.ActorName), row.Action, row.Target, Parse(row.Before), Parse(row.After));

    private static JsonElement? Parse(string? json) => json is null ? null : JsonSerializer.Deserialize<JsonElement>(json);
}
