using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.Hub;

/// <summary>
/// A real HTTP server on 127.0.0.1 standing in for Slack, a webhook receiver or any destination: <c>/ok/{id}</c>
/// answers 200, <c>/fail/{id}</c> 503, <c>/toggle/{id}</c> 503 while <see cref="Failing"/> holds the id. It keeps
/// every request with its raw body.
/// </summary>
internal sealed class HubReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubReceiver(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    public ConcurrentQueue<HubRequest> Received { get; } = new();

    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    public string Url(string path) => new Uri(Address, path).ToString();

    public IReadOnlyList<HubRequest> At(string path) => [.. Received.Where(r => r.Path == "/" + path)];

    public static async Task<HubReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        HubReceiver? receiver = null;
        async Task<IResult> Record(HttpContext context, int status)
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            receiver!.Received.Enqueue(new HubRequest(
                context.Request.Path,
                body,
                context.Request.Headers["Idempotency-Key"].ToString(),
                context.Request.Headers["X-Flowkit-Signature"].ToString(),
                context.Request.Headers["X-Flowkit-Event"].ToString(),
                status));
            return Results.StatusCode(status);
        }

        app.MapPost("/ok/{id}", (Delegate)((HttpContext context) => Record(context, StatusCodes.Status200OK)));
        app.MapPost("/fail/{id}", (Delegate)((HttpContext context) => Record(context, StatusCodes.Status503ServiceUnavailable)));
        app.MapPost("/toggle/{id}", (HttpContext context, string id) =>
            Record(context, receiver!.Failing.ContainsKey(id) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK));
        await app.StartAsync(TestContext.Current.CancellationToken);
        receiver = new HubReceiver(app);
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A request the receiver got, and the status it answered.</summary>
internal sealed record HubRequest(string Path, string Body, string IdempotencyKey, string Signature, string EventType, int Status);
