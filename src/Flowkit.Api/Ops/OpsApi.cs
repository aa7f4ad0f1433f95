using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Api.Auth;
using Flowkit.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Flowkit.Api.Ops;

/// <summary>
/// Operator endpoints (docs/operations.md): the dead letters (poison messages in the error queues) and their redrive.
/// Only keys of workspace <c>default</c> (the operators' workspace, with the bootstrap key) whose role has permission
/// <c>operate</c> may call them, because the queues serve every workspace.
/// </summary>
public static partial class OpsApi
{
    private const int MaxSample = 50;

    /// <summary>Maps <c>/api/v1/ops</c> behind API-key authentication.</summary>
    public static IEndpointRouteBuilder MapFlowkitOps(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/ops")
            .RequireAuthorization(ApiKeyDefaults.Policy)
            .WithTags("Operations")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/queues", QueuesAsync)
            .RequirePermission(Permission.Operate)
            .WithSummary("Every queue of Flowkit's virtual host: what it is for, depth (ready and unacknowledged), consumers, publish and deliver rates, from the RabbitMQ management API.");
        group.MapGet("/dead-letters", ListAsync)
            .RequirePermission(Permission.Operate)
            .WithSummary("Error queues that hold messages: count, and a sample of each with its reason (sample=N, default 10, max 50).");
        group.MapPost("/dead-letters/{queue}/redrive", RedriveAsync)
            .RequirePermission(Permission.Operate)
            .WithSummary("Move the messages of {queue}_error back to {queue}, each once, with publisher confirms; optional body {max}.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return routes;
    }

    internal static async Task<Results<Ok<QueuesResponse>, ProblemHttpResult>> QueuesAsync(
        HttpContext context,
        RabbitMqManagement management,
        CancellationToken cancellationToken)
    {
        if (Refuse(context, management) is { } refused)
        {
            return refused;
        }

        try
        {
            return TypedResults.Ok(new QueuesResponse(await management.QueueReportsAsync(cancellationToken)));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Unreachable or timed out: say so; the broker itself may be fine (readiness checks it over AMQP).
            return Unavailable($"The RabbitMQ management API did not answer ({ex.Message}). Check that the broker's management plugin runs and Flowkit:RabbitMqManagementUrl points at it.");
        }
    }

    internal static async Task<Results<Ok<DeadLettersResponse>, ProblemHttpResult>> ListAsync(
        HttpContext context,
        RabbitMqManagement management,
        int? sample,
        CancellationToken cancellationToken)
    {
        if (Refuse(context, management) is { } refused)
        {
            return refused;
        }

        if (sample is < 0 or > MaxSample)
        {
            return Problems.Problems.Validation("sample", $"sample is a number of messages from 0 to {MaxSample}.");
        }

        var queues = new List<DeadLetterQueue>();
        foreach (var queue in (await management.QueuesAsync(cancellationToken)).Where(q => q.Name.EndsWith(DeadLetters.ErrorSuffix, StringComparison.Ordinal) && q.Messages > 0).OrderBy(q => q.Name, StringComparer.Ordinal))
        {
            var messages = await management.PeekAsync(queue.Name, sample ?? 10, cancellationToken);
            queues.Add(new DeadLetterQueue(DeadLetters.QueueOf(queue.Name), queue.Name, queue.Messages, [.. messages.Select(Describe)]));
        }

        return TypedResults.Ok(new DeadLettersResponse(queues.Sum(q => q.Messages), queues));
    }

    internal static async Task<Results<Ok<RedriveResponse>, ProblemHttpResult>> RedriveAsync(
        string queue,
        RedriveRequest? body,
        HttpContext context,
        RabbitMqManagement management,
        DeadLetterRedriver redriver,
        Persistence.FlowkitDbContext db,
        Audit.AuditLog audit,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (Refuse(context, management) is { } refused)
        {
            return refused;
        }

        if (body?.Max is < 1)
        {
            return Problems.Problems.Validation("$.max", "max is the most messages to move: 1 or more, or leave it out to move all.");
        }

        var target = DeadLetters.QueueOf(queue);
        if (!QueueName().IsMatch(target))
        {
            return Problems.Problems.Validation("queue", $"'{target}' is not a queue name: letters, digits, '-', '_', '.' and ':', at most 200.");
        }

        if (await management.QueueAsync(DeadLetters.ErrorQueue(target), cancellationToken) is null)
        {
            return Problems.Problems.NotFound($"There is no error queue '{DeadLetters.ErrorQueue(target)}'. GET /api/v1/ops/dead-letters lists those that hold messages.");
        }

        if (await management.QueueAsync(target, cancellationToken) is null)
        {
            return Problems.Problems.NotFound($"Queue '{target}' does not exist, so its dead letters have nowhere to go. Start the role that consumes it first.");
        }

        // Once messages move, finish the round even if the caller goes: each one is confirmed before it is acknowledged.
        var (redriven, remaining) = await redriver.RedriveAsync(target, body?.Max, CancellationToken.None);
        LogRedriven(loggers.CreateLogger("Flowkit.Api.Ops"), redriven, target, Workspaces.Caller(context), (int)remaining);
        // The broker is no database: the messages have moved by now, so the entry follows the move (docs/security.md says so).
        audit.Record(context, Audit.AuditActions.DeadLetterRedrive, $"queue/{target}", after: new { redriven, remaining });
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(new RedriveResponse(target, redriven, (int)remaining));
    }

    private static ProblemHttpResult? Refuse(HttpContext context, RabbitMqManagement management)
    {
        // The role's permission (operate) is checked by the API key policy; the queues serve every workspace, so only
        // keys of the operators' workspace may see them.
        if (Workspaces.Of(context) != Workspaces.Default)
        {
            return Problems.Problems.Forbidden($"Operations serve every workspace: only keys of workspace '{Workspaces.Default}' with permission 'operate' (admin, editor, operator) may use them.");
        }

        return management.IsConfigured
            ? null
            : Unavailable("The RabbitMQ management API is not configured: set Flowkit:RabbitMqManagementUrl (env Flowkit__RabbitMqManagementUrl).");
    }

    private static ProblemHttpResult Unavailable(string detail) => TypedResults.Problem(new ProblemDetails
    {
        Type = ProblemTypes.Unavailable,
        Title = "Unavailable.",
        Status = StatusCodes.Status503ServiceUnavailable,
        Detail = detail,
    });

    private static DeadLetter Describe(JsonElement message)
    {
        var properties = message.GetProperty("properties");
        var headers = properties.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object ? h : default;
        string? Header(string name) => headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var v) ? v.ToString() : null;
        string? Property(string name) => properties.TryGetProperty(name, out var v) ? v.ToString() : null;
        return new DeadLetter(
            Property("message_id") ?? Header("MessageId"),
            Header("MT-Host-MessageType") ?? Property("type"),
            Header("MT-Fault-ExceptionType"),
            Header("MT-Fault-Message") ?? Header("MT-Reason"),
            Header("MT-Fault-Timestamp"));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")]
    private static partial Regex QueueName();

    [LoggerMessage(1901, LogLevel.Warning, "Redrove {Count} dead letters to {Queue} (asked by {Caller}); {Remaining} remain in its error queue")]
    private static partial void LogRedriven(ILogger logger, int count, string queue, string caller, int remaining);
}
