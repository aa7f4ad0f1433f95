using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.Steps;

/// <summary>
/// A real HTTP server on 127.0.0.1 that keeps every JSON body posted to <c>/capture</c> (an outside system that a
/// step tells something, such as a callback URL) and answers <c>/fail/{status}</c> with that status, counting calls.
/// </summary>
internal sealed class CaptureTarget : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CaptureTarget(WebApplication app, ConcurrentQueue<JsonElement> bodies, ConcurrentDictionary<int, int> failures)
    {
        _app = app;
        Bodies = bodies;
        Failures = failures;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    public ConcurrentQueue<JsonElement> Bodies { get; }

    /// <summary>Calls of <c>/fail/{status}</c>, by status.</summary>
    public ConcurrentDictionary<int, int> Failures { get; }

    public string Url(string path) => new Uri(Address, path).ToString();

    public static async Task<CaptureTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var bodies = new ConcurrentQueue<JsonElement>();
        var failures = new ConcurrentDictionary<int, int>();
        app.MapPost("/capture", async (HttpContext context) =>
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            bodies.Enqueue(document.RootElement.Clone());
            return Results.Json(new { captured = true });
        });
        app.Map("/fail/{status:int}", (int status) =>
        {
            failures.AddOrUpdate(status, 1, (_, n) => n + 1);
            return Results.Json(new { status }, statusCode: status);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new CaptureTarget(app, bodies, failures);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
