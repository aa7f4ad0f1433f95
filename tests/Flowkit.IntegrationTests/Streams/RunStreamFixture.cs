using Flowkit.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests.Streams;

/// <summary>
/// The shared services and an all-roles host, plus an API-only host served by Kestrel on a loopback port, so the
/// streams are read by a real HttpClient over TCP and every event they carry was written by another host (the
/// engine's), reaching the API through PostgreSQL's notifications as it would across processes. Its heartbeat is
/// long (60 s), so an event that arrives within seconds arrived by notification, not by the heartbeat's re-read.
/// </summary>
public sealed class RunStreamFixture : FlowkitFixture, IAsyncLifetime
{
    private FlowkitHost _api = null!;

    /// <summary>A real HTTP client of the API-only host, with the bootstrap key.</summary>
    public HttpClient StreamClient { get; private set; } = null!;

    /// <summary>An HTTP client of the API-only host with <paramref name="apiKey"/>.</summary>
    public HttpClient CreateStreamClient(string apiKey)
    {
        // A client that closes a connection whose answer it stops reading (instead of draining it for a while), so the
        // server sees a disconnect at once, as it would when a browser tab closes.
        var address = _api.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    async ValueTask IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        _api = new FlowkitHost(PostgresConnectionString, RabbitMqUri, Services.Redis, "api", new Dictionary<string, string?>
        {
            ["Flowkit:RabbitMqManagementUrl"] = Services.RabbitMqManagement.ToString(),
            ["Flowkit:RunStream:Heartbeat"] = "00:01:00",
            ["Flowkit:RunStream:MaxStreams"] = "4",
        });
        _api.UseKestrel(0);
        _api.StartServer();
        StreamClient = CreateStreamClient(BootstrapKey);
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        StreamClient?.Dispose();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        await DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RunStreamCollection : ICollectionFixture<RunStreamFixture>
{
    public const string Name = "run-stream";
}
