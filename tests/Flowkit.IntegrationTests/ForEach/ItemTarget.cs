using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.ForEach;

/// <summary>
/// An HTTP target on loopback for the for-each tests. It counts the calls in progress and remembers the highest count
/// seen, so a test can tell how many items were in flight at once. <c>/work/{index}</c> answers after a short hold
/// (the target's own latency, so that calls overlap); <c>/fail/{index}?bad=n</c> answers 400 for item n;
/// <c>/once/{index}?bad=n</c> answers 503 to the first call for item n, then 200; <c>/gate/{index}</c> holds each
/// call until <see cref="Open"/>.
/// </summary>
internal sealed class ItemTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;
    private int _waiting;

    private ItemTarget(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First() + "/");
    }

    public Uri Address { get; }

    /// <summary>Calls by item index.</summary>
    public ConcurrentDictionary<int, int> Calls { get; } = new();

    /// <summary>The Idempotency-Key header of every call.</summary>
    public ConcurrentBag<string> Keys { get; } = [];

    /// <summary>The most calls in progress at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Calls held at the gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public int TotalCalls => Calls.Values.Sum();

    public string Url(string path) => new Uri(Address, path).ToString();

    public void Open() => _open.TrySetResult();

    public static async Task<ItemTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ItemTarget? target = null;
        app.Map("/work/{index:int}", async (int index, HttpContext context) =>
        {
            var call = target!.Enter(index, context);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(15), context.RequestAborted);
                return Results.Json(new { index, call });
            }
            finally
            {
                target.Leave();
            }
        });
        app.Map("/fail/{index:int}", (int index, int bad, HttpContext context) =>
        {
            var call = target!.Enter(index, context);
            target.Leave();
            return index == bad ? Results.Json(new { index, error = "bad item" }, statusCode: StatusCodes.Status400BadRequest) : Results.Json(new { index, call });
        });
        app.Map("/once/{index:int}", (int index, int bad, HttpContext context) =>
        {
            var call = target!.Enter(index, context);
            target.Leave();
            return index == bad && call == 1 ? Results.Json(new { index, call }, statusCode: StatusCodes.Status503ServiceUnavailable) : Results.Json(new { index, call });
        });
        app.Map("/gate/{index:int}", async (int index, HttpContext context) =>
        {
            var call = target!.Enter(index, context);
            Interlocked.Increment(ref target._waiting);
            try
            {
                await target._open.Task.WaitAsync(context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref target._waiting);
                target.Leave();
            }

            return Results.Json(new { index, call });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        target = new ItemTarget(app);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        Open();
        await _app.DisposeAsync();
    }

    private int Enter(int index, HttpContext context)
    {
        Keys.Add(context.Request.Headers["Idempotency-Key"].ToString());
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        return Calls.AddOrUpdate(index, 1, (_, n) => n + 1);
    }

    private void Leave() => Interlocked.Decrement(ref _inFlight);
}
