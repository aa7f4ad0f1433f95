using System.Net;
using System.Net.Sockets;

namespace Flowkit.Testing;

/// <summary>
/// A real Flowkit.Host process listening on a free loopback port, on a fixture's database and broker: for clients
/// that need a socket (a browser, the CLI), where the fixture's in-memory host has none.
/// </summary>
public sealed class ListeningHost : IDisposable
{
    private readonly FlowkitProcess _process;

    private ListeningHost(FlowkitProcess process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output => _process.Output;

    /// <summary>Starts the host with <paramref name="roles"/> and waits until it answers <c>/health/live</c>.</summary>
    public static async Task<ListeningHost> StartAsync(FlowkitFixture fixture, string roles = "api")
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var process = fixture.StartProcess(roles, new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["Flowkit:RabbitMqManagementUrl"] = fixture.Services.RabbitMqManagement.ToString(),
        });
        using var probe = new HttpClient { BaseAddress = address };
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    using var live = await probe.GetAsync(new Uri("/health/live", UriKind.Relative));
                    return live.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            },
            status => status == HttpStatusCode.OK || process.HasExited,
            TimeSpan.FromSeconds(90),
            $"the host on {address} to answer /health/live");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"The host on {address} stopped: {process.Output}");
        }

        return new ListeningHost(process, address);
    }

    public void Dispose() => _process.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
