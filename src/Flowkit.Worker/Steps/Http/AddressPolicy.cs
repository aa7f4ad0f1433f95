using System.Net;
using System.Net.Sockets;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// The SSRF policy of outbound step HTTP: which (host, address) pairs a worker may connect to. Public addresses
/// are allowed; loopback, link-local, private, shared, reserved and multicast ranges and cloud metadata endpoints
/// are refused unless configuration allows them (<see cref="HttpStepOptions"/>). It is applied to the address
/// actually connected to (<see cref="GuardedConnector"/>), so DNS answers and redirects cannot get around it.
/// </summary>
internal sealed class AddressPolicy
{
    // Names that reach a cloud provider's instance metadata service without an address in the URL.
    private static readonly string[] MetadataHosts =
        ["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"];

    private static readonly IPAddress[] MetadataAddresses =
    [
        IPAddress.Parse("169.254.169.254"), // AWS, Azure, GCP, Oracle, DigitalOcean, OpenStack
        IPAddress.Parse("169.254.170.2"), // AWS ECS task metadata
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud
        IPAddress.Parse("fd00:ec2::254"), // AWS over IPv6
    ];

    private static readonly (IPNetwork Range, string What)[] Blocked =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "'this network' (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private (10.0.0.0/8)"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared carrier-grade NAT (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private (172.16.0.0/12)"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved for protocols (192.0.0.0/24)"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation (192.0.2.0/24)"),
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay (192.88.99.0/24)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private (192.168.0.0/16)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation (198.51.100.0/24)"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation (203.0.113.0/24)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4, including broadcast)"),
        (IPNetwork.Parse("::/128"), "unspecified (::)"),
        (IPNetwork.Parse("::1/128"), "loopback (::1)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
        (IPNetwork.Parse("100::/64"), "discard-only (100::/64)"),
        (IPNetwork.Parse("2001::/23"), "reserved for protocols (2001::/23)"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation (2001:db8::/32)"),
        (IPNetwork.Parse("fc00::/7"), "unique local (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "link-local (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "site-local (fec0::/10)"),
        (IPNetwork.Parse("ff00::/8"), "multicast (ff00::/8)"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Loopback4 = IPNetwork.Parse("127.0.0.0/8");

    private readonly string[] _allowedHosts;
    private readonly IPNetwork[] _allowedNetworks;
    private readonly bool _allowLoopback;

    public AddressPolicy(HttpStepOptions options, bool allowLoopback)
    {
        ArgumentNullException.ThrowIfNull(options);
        _allowedHosts = options.AllowedHosts.Select(NormalizeHost).ToArray();
        _allowedNetworks = options.AllowedNetworks.Select(AddressRanges.Parse).ToArray();
        _allowLoopback = allowLoopback;
    }

    /// <summary>
    /// Why <paramref name="host"/> may not be called by name alone (a metadata service name), or null. Checked before
    /// any DNS lookup; the addresses it resolves to are checked by <see cref="Refusal(string, IPAddress)"/>.
    /// </summary>
    public string? Refusal(string host)
    {
        var name = NormalizeHost(host);
        if (!MetadataHosts.Contains(name, StringComparer.Ordinal) || IsHostNamed(name))
        {
            return null;
        }

        return $"Flowkit refuses to call '{name}': it is a cloud metadata service, which hands out the machine's credentials. " +
               $"If a step really must call it, name exactly '{name}' in {HttpStepOptions.Section}:AllowedHosts.";
    }

    /// <summary>Why connecting to <paramref name="address"/> for <paramref name="host"/> is refused, or null when it is allowed.</summary>
    public string? Refusal(string host, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var name = NormalizeHost(host);
        address = AddressRanges.Normalize(address);
        var what = Classify(address);
        if (what is null)
        {
            return null;
        }

        if (MetadataAddresses.Any(m => m.Equals(address)))
        {
            // A broad entry (169.254.0.0/16, *.internal) does not open the metadata service by accident: it must be named.
            return IsHostNamed(name) || _allowedNetworks.Any(n => n.IsSingleAddress() && n.Contains(address))
                ? null
                : $"Flowkit refuses to connect to {Shown(name, address)}: it is a cloud metadata address, which hands out the machine's credentials. " +
                  $"If a step really must call it, list exactly {address} in {HttpStepOptions.Section}:AllowedNetworks.";
        }

        if (IsHostAllowed(name) || (_allowLoopback && IsLoopback(address)))
        {
            return null;
        }

        if (_allowedNetworks.Any(n => n.Contains(address)))
        {
            return null;
        }

        return $"Flowkit refuses to connect to {Shown(name, address)}: {what} addresses are blocked so that workflows cannot reach internal services (SSRF). " +
               $"To allow it, list the host in {HttpStepOptions.Section}:AllowedHosts or the address range in {HttpStepOptions.Section}:AllowedNetworks.";
    }

    /// <summary>The kind of non-public range <paramref name="address"/> is in, or null for a public address.</summary>
    internal static string? Classify(IPAddress address)
    {
        address = AddressRanges.Normalize(address);
        foreach (var (range, what) in Blocked)
        {
            if (range.Contains(address))
            {
                return what;
            }
        }

        // IPv6 forms that carry an IPv4 address inside reach that IPv4 address through a translator.
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            IPAddress? embedded = null;
            if (Nat64.Contains(address))
            {
                embedded = new IPAddress(bytes.AsSpan(12, 4));
            }
            else if (SixToFour.Contains(address))
            {
                embedded = new IPAddress(bytes.AsSpan(2, 4));
            }

            if (embedded is not null && Classify(embedded) is { } inner)
            {
                return $"{inner}, embedded in {address}";
            }

            if (address.IsIPv4Compatible())
            {
                return "deprecated IPv4-compatible (::/96)";
            }
        }

        return null;
    }

    private static bool IsLoopback(IPAddress address) => Loopback4.Contains(address) || address.Equals(IPAddress.IPv6Loopback);

    private bool IsHostNamed(string name) => _allowedHosts.Contains(name, StringComparer.Ordinal);

    private bool IsHostAllowed(string name) =>
        _allowedHosts.Any(allowed => allowed.StartsWith("*.", StringComparison.Ordinal)
            ? name.EndsWith(allowed[1..], StringComparison.Ordinal)
            : name == allowed);

    private static string Shown(string name, IPAddress address) =>
        IPAddress.TryParse(name.Trim('[', ']'), out _) ? address.ToString() : $"{name} ({address})";

    internal static string NormalizeHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Trim().TrimEnd('.').ToLowerInvariant();
    }
}

internal static class AddressExtensions
{
    /// <summary>The deprecated <c>::a.b.c.d</c> form (not <c>::</c> or <c>::1</c>, which have their own ranges).</summary>
    public static bool IsIPv4Compatible(this IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes.Length == 16 && bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && (bytes[12] | bytes[13]) != 0;
    }
}
