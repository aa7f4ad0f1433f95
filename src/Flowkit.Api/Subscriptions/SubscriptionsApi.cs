using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Api.Limits;
using Flowkit.Api.Workflows;
using Flowkit.Definitions.Subscriptions;
using Flowkit.Persistence;
using Flowkit.Persistence.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Flowkit.Api.Subscriptions;

/// <summary>
/// Integration hub subscriptions of the caller's workspace (docs/integrations.md): put (create or change), list, read,
/// delete; each subscription's delivery log, and redrive of a dead-lettered delivery. Adding a route is data: the hub
/// reads subscriptions for every event, so a change applies to the next event.
/// </summary>
public static partial class SubscriptionsApi
{
    /// <summary>Largest subscription document accepted.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    public static RouteGroupBuilder MapSubscriptionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/subscriptions").WithTags("Subscriptions");
        group.MapPut("/{name}", PutAsync)
            .RequirePermission(Permission.Edit)
            .WithName("PutSubscription")
            .Accepts<SubscriptionDocument>("application/json", "application/yaml")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Create or change a subscription: {events, workflow?, destinations}, as YAML or JSON.")
            .WithDescription("200 {name, version, created, changed}: created (version 1), changed (version n+1) or identical (changed: false). 422 lists every problem with its path; nothing is stored then.");
        group.MapGet("/", ListAsync)
            .RequirePermission(Permission.Read)
            .WithName("ListSubscriptions")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The workspace's subscriptions by name; page with limit and cursor.");
        group.MapGet("/{name}", GetAsync)
            .RequirePermission(Permission.Read)
            .WithName("GetSubscription")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One subscription.");
        group.MapDelete("/{name}", DeleteAsync)
            .RequirePermission(Permission.Edit)
            .WithName("DeleteSubscription")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete a subscription and its delivery log; pending deliveries are not sent.");
        group.MapGet("/{name}/deliveries", ListDeliveriesAsync)
            .RequirePermission(Permission.Read)
            .WithName("ListDeliveries")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The subscription's delivery log, newest first: status, attempts, last error; filter with status (pending, sending, delivered, dead).");
        group.MapPost("/{name}/deliveries/{id:guid}/redrive", RedriveAsync)
            .RequirePermission(Permission.Run)
            .WithName("RedriveDelivery")
            .Accepts<RedriveDeliveryRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Send a dead-lettered delivery again, with a fresh set of attempts.")
            .WithDescription("202 with the delivery, pending again. 409 when the delivery is not dead (it is pending, being sent or delivered).");
        return group;
    }

    internal static async Task<Results<Ok<PutSubscriptionResponse>, ProblemHttpResult>> PutAsync(
        string name, HttpRequest request, FlowkitDbContext db, SubscriptionReader reader, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!SubscriptionReader.IsValidName(name))
        {
            return Problems.Problems.Validation("name", $"'{Shorten(name)}' is not a subscription name. Use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit, like slack-failures.");
        }

        var format = WorkflowsApi.FormatOf(request.ContentType);
        if (format is null)
        {
            return Problems.Problems.UnsupportedMediaType($"Send the subscription as application/yaml or application/json{(request.ContentType is null ? "" : $", not {request.ContentType}")}.");
        }

        var (text, bytes) = await DefinitionBodyReader.ReadAsync(request, MaxDocumentBytes, cancellationToken);
        if (text is null)
        {
            return TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Type = Problems.ProblemTypes.PayloadTooLarge,
                Title = "Payload too large.",
                Status = StatusCodes.Status413PayloadTooLarge,
                Detail = $"A subscription is at most {MaxDocumentBytes / 1024} KiB{(bytes > 0 ? $"; this one is {bytes} bytes" : string.Empty)}.",
            });
        }

        var reading = reader.Read(text, format.Value, cancellationToken);
        if (!reading.IsValid)
        {
            return Problems.Problems.Validation($"The subscription has {reading.Errors.Count} problem(s).", reading.Errors);
        }

        var document = SubscriptionJson.Serialize(reading.Subscription!);
        var workspace = Workspaces.Of(request.HttpContext);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var existing = await db.Subscriptions
            .FromSql($"SELECT * FROM hub_subscriptions WHERE workspace = {workspace} AND name = {name} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (existing is null)
        {
            db.Subscriptions.Add(new SubscriptionRow
            {
                Id = Guid.CreateVersion7(), Workspace = workspace, Name = name, Document = document, Version = 1, CreatedAt = now, UpdatedAt = now,
            });
            audit.Record(request.HttpContext, AuditActions.SubscriptionPut, $"subscription/{name}", after: AuditDocument(1, document));
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return Problems.Problems.Conflict($"Another request created the subscription '{name}' at the same moment; send yours again to change it.");
            }

            return TypedResults.Ok(new PutSubscriptionResponse(name, 1, Created: true, Changed: true));
        }

        if (Same(existing.Document, document))
        {
            return TypedResults.Ok(new PutSubscriptionResponse(name, existing.Version, Created: false, Changed: false));
        }

        var before = AuditDocument(existing.Version, existing.Document);
        existing.Document = document;
        existing.Version++;
        existing.UpdatedAt = now;
        audit.Record(request.HttpContext, AuditActions.SubscriptionPut, $"subscription/{name}", before, AuditDocument(existing.Version, document));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.Ok(new PutSubscriptionResponse(name, existing.Version, Created: false, Changed: true));
    }

    internal static async Task<Results<Ok<Page<SubscriptionResponse>>, ProblemHttpResult>> ListAsync(
        HttpContext context, FlowkitDbContext db, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } bad)
        {
            return bad;
        }

        var workspace = Workspaces.Of(context);
        var query = db.Subscriptions.AsNoTracking().Where(s => s.Workspace == workspace);
        if (cursor is not null)
        {
            if (!Page.TryReadKeyCursor(cursor, out var after))
            {
                return Page.BadCursor();
            }

            query = query.Where(s => string.Compare(s.Name, after) > 0);
        }

        var rows = await query.OrderBy(s => s.Name).Take(size + 1).ToListAsync(cancellationToken);
        var next = rows.Count > size ? Page.WriteKeyCursor(rows[size - 1].Name) : null;
        return TypedResults.Ok(new Page<SubscriptionResponse>(rows.Take(size).Select(SubscriptionResponse.From).ToArray(), next));
    }

    internal static async Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> GetAsync(
        string name, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var row = await FindAsync(db, Workspaces.Of(context), name, cancellationToken);
        return row is null ? NotFound(name) : TypedResults.Ok(SubscriptionResponse.From(row));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, HttpContext context, FlowkitDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = await db.Subscriptions
            .FromSql($"DELETE FROM hub_subscriptions WHERE workspace = {workspace} AND name = {name} RETURNING *")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (deleted.Count == 0)
        {
            return NotFound(name);
        }

        audit.Record(context, AuditActions.SubscriptionDelete, $"subscription/{name}", AuditDocument(deleted[0].Version, deleted[0].Document));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    /// <summary>A subscription as its audit entries show it: version and document (which names secrets, never holds their values).</summary>
    private static object AuditDocument(int version, string document) =>
        new { version, document = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(document) };

    internal static async Task<Results<Ok<Page<DeliveryResponse>>, ProblemHttpResult>> ListDeliveriesAsync(
        string name, HttpContext context, FlowkitDbContext db, string? status, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } bad)
        {
            return bad;
        }

        string[] statuses = [DeliveryStatuses.Pending, DeliveryStatuses.Sending, DeliveryStatuses.Delivered, DeliveryStatuses.Dead];
        if (status is not null && !statuses.Contains(status, StringComparer.Ordinal))
        {
            return Problems.Problems.Validation("query.status", $"'{Shorten(status)}' is not a delivery status; use one of {string.Join(", ", statuses)}.");
        }

        var row = await FindAsync(db, Workspaces.Of(context), name, cancellationToken);
        if (row is null)
        {
            return NotFound(name);
        }

        var query = db.Deliveries.AsNoTracking().Where(d => d.SubscriptionId == row.Id);
        if (status is not null)
        {
            query = query.Where(d => d.Status == status);
        }

        var page = await Page.NewestFirstAsync(query, d => d.CreatedAt, d => d.Id, cursor, size, DeliveryResponse.From, cancellationToken);
        return page is null ? Page.BadCursor() : TypedResults.Ok(page);
    }

    internal static async Task<Results<Accepted<DeliveryResponse>, ProblemHttpResult>> RedriveAsync(
        string name,
        Guid id,
        RedriveDeliveryRequest? body,
        HttpContext context,
        FlowkitDbContext db,
        AuditLog audit,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var row = await FindAsync(db, Workspaces.Of(context), name, cancellationToken);
        if (row is null)
        {
            return NotFound(name);
        }

        var now = time.GetUtcNow();
        var token = Guid.NewGuid();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Only a dead delivery is redriven, once: the conditional update settles two operators pressing at once.
        var redriven = await db.Deliveries
            .FromSql($"""
                UPDATE hub_deliveries SET status = {DeliveryStatuses.Pending}, attempts = 0, token = {token}, next_attempt_at = {now},
                    redrives = redrives + 1, updated_at = {now}
                WHERE id = {id} AND subscription_id = {row.Id} AND status = {DeliveryStatuses.Dead}
                RETURNING *
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (redriven.Count == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            var current = await db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id && d.SubscriptionId == row.Id, cancellationToken);
            return current is null
                ? Problems.Problems.NotFound($"Subscription '{name}' has no delivery {id}.")
                : Problems.Problems.Conflict($"Delivery {id} is {current.Status}, not dead; only a dead-lettered delivery can be redriven.");
        }

        HubOutbox.ScheduleAttempt(db, redriven[0], now, now);
        audit.Record(context, AuditActions.DeliveryRedrive, $"subscription/{name}/delivery/{id}", after: new { body?.Reason });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        LogRedriven(loggers.CreateLogger(typeof(SubscriptionsApi)), id, name, Workspaces.Caller(context), body?.Reason ?? "");
        return TypedResults.Accepted($"/api/v1/subscriptions/{name}/deliveries", DeliveryResponse.From(redriven[0]));
    }

    private static Task<SubscriptionRow?> FindAsync(FlowkitDbContext db, string workspace, string name, CancellationToken cancellationToken) =>
        db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.Workspace == workspace && s.Name == name, cancellationToken);

    private static ProblemHttpResult NotFound(string name) =>
        Problems.Problems.NotFound($"There is no subscription named '{Shorten(name)}'. Create it with PUT /api/v1/subscriptions/{{name}}.");

    private static bool Same(string stored, string candidate)
    {
        using var left = System.Text.Json.JsonDocument.Parse(stored);
        using var right = System.Text.Json.JsonDocument.Parse(candidate);
        return System.Text.Json.JsonElement.DeepEquals(left.RootElement, right.RootElement);
    }

    [LoggerMessage(1951, LogLevel.Information, "Delivery {DeliveryId} of subscription {Subscription} redriven by {Caller}: {Reason}")]
    private static partial void LogRedriven(ILogger logger, Guid deliveryId, string subscription, string caller, string reason);

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");
}
