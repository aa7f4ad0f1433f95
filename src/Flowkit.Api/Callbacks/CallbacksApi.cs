using System.Globalization;
using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Api.Problems;
using Flowkit.Contracts;
using Flowkit.Definitions.Secrets;
using Flowkit.Persistence;
using Flowkit.Sagas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Callbacks;

/// <summary>
/// POST /callbacks/{token}: the one-time URL of a callback step (<c>{{ steps.&lt;id&gt;.callbackUrl }}</c>,
/// docs/workflow-language.md). No API key: the unguessable token is the credential, and the answers say nothing
/// about the run beyond whether the call was taken.
/// </summary>
public static class CallbacksApi
{
    public static IEndpointRouteBuilder MapCallbacksApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/callbacks/{token}", ReceiveAsync)
            .AllowAnonymous()
            .WithTags("Callbacks")
            .WithSummary("Call a callback step's one-time URL with a JSON body: the step succeeds with that body as its output. No API key. 409 if it was called before, 410 once its step timed out or its run ended.")
            .Accepts<object>("application/json")
            .Produces<CallbackAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return routes;
    }

    internal static async Task<IResult> ReceiveAsync(
        string token, HttpContext context, FlowkitDbContext db, IOutbox outbox, IOptions<IngressOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // The same size limit as webhooks (Flowkit:Ingress:MaxBodyBytes).
        var limit = options.Value.MaxBodyBytes;
        var bytes = await WebhookDelivery.ReadBodyAsync(context.Request, limit, cancellationToken);
        if (bytes is null)
        {
            return TypedResults.Problem(new ProblemDetails
            {
                Type = ProblemTypes.PayloadTooLarge,
                Title = "Payload too large.",
                Status = StatusCodes.Status413PayloadTooLarge,
                Detail = $"The body is larger than {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes.",
            });
        }

        var json = bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes[3..] : bytes;
        string body;
        try
        {
            using var document = JsonDocument.Parse(json);
            body = document.RootElement.GetRawText();
        }
        catch (JsonException ex)
        {
            return Problems.Problems.BadRequest($"The body must be JSON (it becomes the step's output): {ex.Message}");
        }

        var hash = CallbackTokens.Hash(token);
        var now = time.GetUtcNow();

        // The run row is read FOR SHARE, so the run cannot end between this check and the commit: a call is either
        // taken for a run that will apply it, or refused. The conditional UPDATE below takes one call only.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var found = await db.Database.SqlQuery<CallbackState>($"""
            SELECT c.run_id AS "RunId", c.step_id AS "StepId", r.current_state AS "RunState", s.status AS "StepStatus",
                   c.received_at IS NOT NULL AS "Received", c.expired_at IS NOT NULL AS "Expired"
            FROM run_callbacks c
            JOIN runs r ON r.id = c.run_id
            LEFT JOIN run_steps s ON s.run_id = c.run_id AND s.step_id = c.step_id
            WHERE c.token_hash = {hash}
            FOR SHARE OF r
            """).ToListAsync(cancellationToken);
        if (found.Count == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.NotFound("There is no callback at this address.");
        }

        var callback = found[0];
        if (callback.Received)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.Conflict("This callback has already been called; it takes one call.");
        }

        if (callback.Expired || callback.RunState is "Succeeded" or "Failed" or "Cancelled" || callback.StepStatus is "skipped" or "cancelled" or "failed")
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return Gone(callback.Expired
                ? "This callback is closed: its step timed out waiting for it."
                : "This callback is closed: its step or its run has ended.");
        }

        var claimed = await db.Callbacks
            .Where(c => c.TokenHash == hash && c.ReceivedAt == null && c.ExpiredAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ReceivedAt, now).SetProperty(c => c.Body, body), cancellationToken);
        if (claimed == 0)
        {
            // A concurrent call (or the expiry) claimed it between the read and the update.
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Problems.Conflict("This callback has already been called; it takes one call.");
        }

        outbox.Send(EngineQueues.Runs, new CallbackReceived
        {
            RunId = callback.RunId,
            StepId = callback.StepId,
            Body = JsonSerializer.Deserialize<JsonElement>(body),
            Timestamp = now,
        }, callback.RunId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.Accepted((string?)null, new CallbackAccepted(true));
    }

    private static ProblemHttpResult Gone(string detail) =>
        TypedResults.Problem(new ProblemDetails { Type = ProblemTypes.Gone, Title = "Gone.", Status = StatusCodes.Status410Gone, Detail = detail });
}
