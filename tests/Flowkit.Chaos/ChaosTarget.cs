using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.Chaos;

/// <summary>
/// The outside world of the fault suite: an HTTP server on loopback that the workflows' http steps call. It counts
/// every call by its <c>Idempotency-Key</c> (<c>{runId}:{stepId}</c>), so the suite can compare the side effects a
/// target saw with the attempts Flowkit recorded. <c>/ok</c> answers at once, <c>/slow</c> after a second (so a
/// process can be killed while a step is running), <c>/flaky</c> fails the first call of each key with 503 and then
/// succeeds (a step that needs its retry).
/// </summary>
public sealed class ChaosTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight;

    private ChaosTarget(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    /// <summary>Calls by idempotency key.</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    /// <summary>Requests being answered now (a step running at the target).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public static async Task<ChaosTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ChaosTarget? target = null;
        app.Map("/ok", (HttpContext context) =>
        {
            target!.Count(context);
            return Results.Json(new { ok = true });
        });
        app.Map("/slow", async (HttpContext context) =>
        {
            target!.Count(context);
            Interlocked.Increment(ref target._inFlight);
            try
            {
                // The simulated work of a slow service, so that a step is running when a process is killed.
                await Task.Delay(TimeSpan.FromSeconds(1), context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref target._inFlight);
            }

            return Results.Json(new { ok = true });
        });
        app.Map("/flaky", (HttpContext context) =>
            target!.Count(context) == 1 ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Json(new { ok = true }));
        await app.StartAsync();
        target = new ChaosTarget(app);
        return target;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private int Count(HttpContext context) =>
        Calls.AddOrUpdate(context.Request.Headers["Idempotency-Key"].ToString(), 1, (_, n) => n + 1);
}
