using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests;

/// <summary>
/// A real HTTP server on 127.0.0.1 for http steps to call (the test hosts run in Development, where loopback is
/// allowed). It answers <c>/echo</c> with what it received and remembers every request.
/// </summary>
internal sealed class StepTargets : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StepTargets(WebApplication app, ConcurrentQueue<Received> received)
    {
        _app = app;
        Received = received;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    public ConcurrentQueue<Received> Received { get; }

    /// <summary>When requests to <c>/hang</c> were abandoned by their caller.</summary>
    public ConcurrentQueue<DateTimeOffset> Aborted { get; private init; } = new();

    public string Url(string path) => new Uri(Address, path).ToString();

    public static async Task<StepTargets> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var received = new ConcurrentQueue<Received>();
        app.Map("/echo", (HttpContext context) =>
        {
            var request = new Received(
                context.Request.Method,
                context.Request.Path,
                context.Request.Headers.Authorization.ToString(),
                context.Request.Headers["Idempotency-Key"].ToString());
            received.Enqueue(request);
            return Results.Json(request);
        });
        // Never answers; records when the caller gave up (the request was aborted).
        var aborted = new ConcurrentQueue<DateTimeOffset>();
        app.Map("/hang", async (HttpContext context) =>
        {
            received.Enqueue(new Received(context.Request.Method, context.Request.Path, "", context.Request.Headers["Idempotency-Key"].ToString()) { At = DateTimeOffset.UtcNow });
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.Enqueue(DateTimeOffset.UtcNow);
            }
        });

        // Fails with 503 for the first {failures} calls of each idempotency key, then answers 200.
        var calls = new ConcurrentDictionary<string, int>();
        app.Map("/flaky/{failures:int}", (HttpContext context, int failures) =>
        {
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            received.Enqueue(new Received(context.Request.Method, context.Request.Path, "", key) { At = DateTimeOffset.UtcNow });
            var call = calls.AddOrUpdate(key, 1, (_, n) => n + 1);
            return call <= failures
                ? Results.Json(new { call }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new { call });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new StepTargets(app, received) { Aborted = aborted };
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record Received(string Method, string Path, string Authorization, string IdempotencyKey)
{
    /// <summary>When the server received it.</summary>
    public DateTimeOffset At { get; init; }
}
