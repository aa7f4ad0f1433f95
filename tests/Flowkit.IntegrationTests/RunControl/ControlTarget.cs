using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.RunControl;

/// <summary>
/// An HTTP target on loopback for the run-control tests, counting calls by path name: <c>/count/{name}</c> answers
/// at once; <c>/broken/{name}</c> answers 400 until <see cref="Fix"/> (then 200); <c>/gate/{name}</c> holds each
/// call until <see cref="Open"/>.
/// </summary>
internal sealed class ControlTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;
    private volatile bool _fixed;

    private ControlTarget(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    /// <summary>Calls by name.</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>Calls held at the gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public string Url(string path) => new Uri(Address, path).ToString();

    public int CallsOf(string name) => Calls.TryGetValue(name, out var n) ? n : 0;

    public static async Task<ControlTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ControlTarget? target = null;
        app.Map("/count/{name}", (string name) => Results.Json(new { name, call = target!.Count(name) }));
        app.Map("/broken/{name}", (string name) =>
        {
            var call = target!.Count(name);
            return target._fixed ? Results.Json(new { name, call }) : Results.Json(new { name, call, error = "broken" }, statusCode: StatusCodes.Status400BadRequest);
        });
        app.Map("/gate/{name}", async (string name, HttpContext context) =>
        {
            var call = target!.Count(name);
            Interlocked.Increment(ref target._waiting);
            try
            {
                await target._open.Task.WaitAsync(context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref target._waiting);
            }

            return Results.Json(new { name, call });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        target = new ControlTarget(app);
        return target;
    }

    /// <summary>The broken paths answer 200 from now on.</summary>
    public void Fix() => _fixed = true;

    /// <summary>Lets every held and future gate call through.</summary>
    public void Open() => _open.TrySetResult();

    private int Count(string name) => Calls.AddOrUpdate(name, 1, (_, n) => n + 1);

    public async ValueTask DisposeAsync()
    {
        Open();
        await _app.DisposeAsync();
    }
}
