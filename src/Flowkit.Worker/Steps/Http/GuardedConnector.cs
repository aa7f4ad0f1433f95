using System.Net;
using System.Net.Sockets;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of step HTTP: resolves the host itself, drops every
/// address the <see cref="AddressPolicy"/> refuses, and connects only to an allowed one. Because the check is on
/// the address the socket connects to, a DNS name that resolves to a private address, a DNS answer that changes
/// between a check and the connection (rebinding), and a redirect to a private address are all refused.
/// </summary>
internal sealed class GuardedConnector(AddressPolicy policy)
{
    /// <summary>A handler for the named step client: no proxy (a proxy would be what the guard checks), no automatic redirects.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        // The guard checks the address it connects to; through a proxy that would be the proxy, not the target.
        UseProxy = false,
        // OutboundHttp follows redirects itself so it can drop credentials when a redirect leaves the origin.
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        // New connections re-resolve DNS (and are re-checked) at least this often.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        UseCookies = false,
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        if (policy.Refusal(host) is { } byName)
        {
            throw new BlockedAddressException(byName);
        }

        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string? firstRefusal = null;
        var allowed = new List<IPAddress>(addresses.Length);
        foreach (var address in addresses)
        {
            var refusal = policy.Refusal(host, address);
            if (refusal is null)
            {
                allowed.Add(address);
            }
            else
            {
                firstRefusal ??= refusal;
            }
        }

        if (allowed.Count == 0)
        {
            throw firstRefusal is null
                ? new SocketException((int)SocketError.HostNotFound)
                : new BlockedAddressException(firstRefusal);
        }

        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}

/// <summary>The SSRF policy refused a connection; the message says which address, why, and how to allow it.</summary>
public sealed class BlockedAddressException : IOException
{
    public BlockedAddressException()
    {
    }

    public BlockedAddressException(string message)
        : base(message)
    {
    }

    public BlockedAddressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
