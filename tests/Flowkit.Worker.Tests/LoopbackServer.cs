using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowkit.Worker.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, for step tests (no HTTP mocks).</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The server's base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    public int Port => Address.Port;

    /// <summary>An absolute URL on this server.</summary>
    public string Url(string path) => new Uri(Address, path).ToString();

    public static async Task<LoopbackServer> StartAsync(Action<WebApplication> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new LoopbackServer(app, new Uri(app.Urls.First() + "/"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
