using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.Console.Tests;

/// <summary>
/// A real HTTP server on 127.0.0.1 for the http steps of console tests (the hosts run in Development, where loopback
/// is allowed). It counts the calls of each path: <c>/ok/{name}</c> answers 200; <c>/broken/{name}</c> answers 500
/// until <see cref="Fix"/>; <c>/held/{name}</c> answers 200 only after <see cref="Release"/>.
/// </summary>
internal sealed class StepTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _fixed;

    private StepTarget(WebApplication app) => _app = app;

    public string Url(string path) => new Uri(new Uri(_app.Urls.First() + "/"), path).ToString();

    /// <summary>How many times <paramref name="path"/> (e.g. <c>ok/first</c>) was called.</summary>
    public int Calls(string path) => _calls.GetValueOrDefault("/" + path);

    public void Fix() => _fixed = true;

    public void Release() => _released.TrySetResult();

    public static async Task<StepTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var target = new StepTarget(app);
        app.Map("/ok/{name}", (HttpContext context, string name) =>
        {
            target.Count(context);
            return Results.Json(new { name });
        });
        app.Map("/broken/{name}", (HttpContext context, string name) =>
        {
            target.Count(context);
            return target._fixed ? Results.Json(new { name }) : Results.Json(new { error = "broken" }, statusCode: StatusCodes.Status500InternalServerError);
        });
        app.Map("/held/{name}", async (HttpContext context, string name) =>
        {
            target.Count(context);
            await target._released.Task.WaitAsync(context.RequestAborted);
            return Results.Json(new { name });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.DisposeAsync();
    }

    private void Count(HttpContext context) => _calls.AddOrUpdate(context.Request.Path.Value ?? "", 1, (_, n) => n + 1);
}
