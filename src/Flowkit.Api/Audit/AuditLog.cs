using System.Security.Claims;
using System.Text.Json;
using Flowkit.Api.Auth;
using Flowkit.Persistence;
using Flowkit.Persistence.Audit;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Api.Audit;

/// <summary>
/// Records who changed what (issue #16). <see cref="Record"/> adds the entry to the request's unit of work, so it is
/// written by the same <c>SaveChanges</c> (and inside the same transaction) as the change it records: a crash between
/// the two cannot happen, because there is no "between". An endpoint that changes rows with SQL of its own opens a
/// transaction around the change, calls <see cref="Record"/>, then <c>SaveChangesAsync</c> and commits. The one line
/// a new endpoint adds:
/// <code>audit.Record(context, AuditActions.ConnectorPut, $"connector/{name}", before, after);</code>
/// </summary>
internal sealed class AuditLog(FlowkitDbContext db, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds an entry for the caller of <paramref name="context"/> to the unit of work of the request's database
    /// context; it commits with the next <c>SaveChangesAsync</c>. <paramref name="before"/> and
    /// <paramref name="after"/> are serialised as JSON: never put a secret's value in them.
    /// </summary>
    public void Record(HttpContext context, string action, string target, object? before = null, object? after = null, string? workspace = null) =>
        db.AuditLog.Add(Entry(context, action, target, before, after, workspace));

    /// <summary>The entry <see cref="Record"/> would add, for writers that batch their own SQL (<c>RunLauncher</c>).</summary>
    public AuditEntryRow Entry(HttpContext context, string action, string target, object? before = null, object? after = null, string? workspace = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AuditEntryRow
        {
            Id = Guid.CreateVersion7(),
            Workspace = workspace ?? Workspaces.Of(context),
            At = time.GetUtcNow(),
            ActorKeyId = Guid.TryParse(context.User.FindFirstValue(ApiKeyDefaults.KeyIdClaim), out var id) ? id : null,
            ActorName = Workspaces.Caller(context),
            Action = action,
            Target = target,
            Before = before is null ? null : JsonSerializer.Serialize(before, Json),
            After = after is null ? null : JsonSerializer.Serialize(after, Json),
        };
    }
}
