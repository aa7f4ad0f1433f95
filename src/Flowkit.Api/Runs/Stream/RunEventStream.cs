using System.Text;
using System.Text.Json;
using Flowkit.Api.Auth;
using Flowkit.Api.Problems;
using Flowkit.Persistence;
using Flowkit.Sagas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Runs.Stream;

/// <summary>
/// <c>GET /api/v1/runs/{id}/events/stream</c>: the run's timeline as Server-Sent Events (CONTRACT.md section 2). It
/// sends the history, then each new event as it is committed, and ends after the run's terminal event. Each event's
/// <c>id:</c> is its cursor (the same cursor <c>GET /api/v1/runs/{id}/events</c> gives out), so a client that
/// reconnects with <c>Last-Event-ID</c> continues after it, without gaps or repeats. New events are found by reading
/// the table after the last one sent, woken by PostgreSQL notifications (<see cref="RunEventListener"/>) and at each
/// heartbeat.
/// </summary>
public static class RunEventStream
{
    /// <summary>Events read from the table at once.</summary>
    private const int Batch = 200;

    private static readonly string[] Terminal = [RunEventTypes.RunSucceeded, RunEventTypes.RunFailed, RunEventTypes.RunCancelled];

    public static IEndpointRouteBuilder MapRunEventStream(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/runs/{id:guid}/events/stream", StreamAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .Produces<RunEventResponse>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The run's timeline, live, as Server-Sent Events: the history, then each new event; it ends after the run's terminal event.")
            .WithDescription(
                "Each event is `id: <cursor>`, `event: <type>` and `data: <the event as JSON, as in GET /api/v1/runs/{id}/events>`. " +
                "Send the last id you received as the Last-Event-ID header to continue after it (no gaps, no repeats). " +
                "Comment lines (`: keep-alive`) arrive while the run is quiet (Flowkit:RunStream:Heartbeat). " +
                "503 with Retry-After when this process already serves Flowkit:RunStream:MaxStreams streams.");
        return routes;
    }

    internal static async Task<IResult> StreamAsync(
        Guid id,
        HttpContext context,
        FlowkitDbContext db,
        RunEventListener listener,
        IOptions<RunStreamOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken cancellationToken)
    {
        var after = 0L;
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0 && !Page.TryReadPositionCursor(lastEventId, out after))
        {
            return Problems.Problems.Validation("headers.Last-Event-ID", "Last-Event-ID is not an event id this stream sent. Leave it out to start from the first event.");
        }

        var run = await RunsApi.RunOfAsync(db, id, Workspaces.Of(context), cancellationToken);
        if (run is null)
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        // Subscribed before the first read, so a commit between that read and the first wait still wakes the stream.
        var waiter = listener.Subscribe(id);
        if (waiter is null)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(new ProblemDetails
            {
                Type = ProblemTypes.Unavailable,
                Title = "Unavailable.",
                Status = StatusCodes.Status503ServiceUnavailable,
                Detail = $"This process already serves {options.Value.MaxStreams} run streams (Flowkit:RunStream:MaxStreams). Try again later or poll GET /api/v1/runs/{id}/events.",
            });
        }

        return new StreamResult(run, after, waiter, db, options.Value, json.Value.SerializerOptions);
    }

    /// <summary>Writes the stream once the endpoint has decided to answer 200.</summary>
    private sealed class StreamResult(
        RunIdentity run, long after, RunEventWaiter waiter, FlowkitDbContext db, RunStreamOptions options, JsonSerializerOptions json) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var _ = waiter;
            var response = httpContext.Response;
            var cancellationToken = httpContext.RequestAborted;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            // nginx and similar proxies buffer answers unless told not to.
            response.Headers["X-Accel-Buffering"] = "no";
            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.StartAsync(cancellationToken);

            try
            {
                var terminal = false;
                while (true)
                {
                    var rows = await db.RunEvents.AsNoTracking()
                        .Where(e => e.RunId == run.RunId && e.Id > after)
                        .OrderBy(e => e.Id)
                        .Take(Batch)
                        .ToListAsync(cancellationToken);
                    foreach (var row in rows)
                    {
                        await WriteEventAsync(response, row, cancellationToken);
                        after = row.Id;
                        terminal |= Terminal.Contains(row.Type);
                    }

                    if (rows.Count == Batch)
                    {
                        continue;
                    }

                    await response.Body.FlushAsync(cancellationToken);

                    // Events of the terminal event's transaction were committed with it, so they were in this read.
                    if (terminal || (rows.Count == 0 && await EndedWithoutTerminalEventAsync(cancellationToken)))
                    {
                        return;
                    }

                    if (!await waiter.WaitAsync(options.Heartbeat, cancellationToken))
                    {
                        await response.WriteAsync(": keep-alive\n\n", cancellationToken);
                        await response.Body.FlushAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away; it resumes with Last-Event-ID.
            }
        }

        private async Task WriteEventAsync(HttpResponse response, RunEventRow row, CancellationToken cancellationToken)
        {
            var data = JsonSerializer.Serialize(RunEventResponse.From(row, run), json);
            var text = new StringBuilder()
                .Append("id: ").Append(Page.WritePositionCursor(row.Id)).Append('\n')
                .Append("event: ").Append(row.Type).Append('\n')
                .Append("data: ").Append(data).Append("\n\n")
                .ToString();
            await response.WriteAsync(text, cancellationToken);
        }

        /// <summary>
        /// A run that ended without a terminal event on its timeline (one older than the event) would keep a stream
        /// open forever: it ends once the run's state is final and nothing new was read.
        /// </summary>
        private async Task<bool> EndedWithoutTerminalEventAsync(CancellationToken cancellationToken)
        {
            var state = await db.Runs.AsNoTracking().Where(r => r.CorrelationId == run.RunId).Select(r => r.CurrentState).SingleAsync(cancellationToken);
            if (state is not ("Succeeded" or "Failed" or "Cancelled"))
            {
                return false;
            }

            // The state and its events commit together; read once more in case they landed after the last read.
            return !await db.RunEvents.AnyAsync(e => e.RunId == run.RunId && e.Id > after, cancellationToken);
        }
    }
}
