using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.Faults;

/// <summary>
/// An HTTP target on loopback whose <c>/gate</c> holds every request until the test opens the gate, so a test knows
/// the steps are running (on the worker) when it injects a fault, and decides when they finish. Counts calls per
/// <c>Idempotency-Key</c>, so a test can tell a step that ran twice.
/// </summary>
internal sealed class GateTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GateTarget(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    /// <summary>Calls by idempotency key.</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    /// <summary>Requests waiting at the gate now.</summary>
    public int Waiting => _waiting;

    private int _waiting;

    public string Url => new Uri(Address, "gate").ToString();

    public static async Task<GateTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        GateTarget? target = null;
        app.Map("/gate", async (HttpContext context) =>
        {
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            target!.Calls.AddOrUpdate(key, 1, (_, n) => n + 1);
            Interlocked.Increment(ref target._waiting);
            try
            {
                await target._open.Task.WaitAsync(context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref target._waiting);
            }

            return Results.Json(new { passed = true });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        target = new GateTarget(app);
        return target;
    }

    /// <summary>Lets every waiting and future request through.</summary>
    public void Open() => _open.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Open();
        await _app.DisposeAsync();
    }
}
