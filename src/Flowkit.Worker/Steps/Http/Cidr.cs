using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Flowkit.Worker.Steps.Http;

/// <summary>An address range such as <c>10.0.0.0/8</c> or <c>fd00::/8</c>; a bare address is a one-address range.</summary>
internal readonly record struct Cidr(IPAddress Network, int PrefixLength)
{
    public AddressFamily Family => Network.AddressFamily;

    /// <summary>True when the range is exactly one address (<c>/32</c> or <c>/128</c>).</summary>
    public bool IsSingleAddress => PrefixLength == (Family == AddressFamily.InterNetwork ? 32 : 128);

    public static Cidr Parse(string text) =>
        TryParse(text, out var cidr) ? cidr : throw new FormatException($"'{text}' is not an address range like 10.0.0.0/8 or an address like 10.1.2.3.");

    public static bool TryParse(string? text, out Cidr cidr)
    {
        cidr = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0].Trim('[', ']'), out var address))
        {
            return false;
        }

        address = Normalize(address);
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            return false;
        }

        cidr = new Cidr(Truncate(address, prefix), prefix);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Normalize(address);
        if (address.AddressFamily != Family)
        {
            return false;
        }

        return Truncate(address, PrefixLength).Equals(Network);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    /// <summary>An IPv4 address written as IPv6 (<c>::ffff:10.0.0.1</c>) is the IPv4 address it maps.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private static IPAddress Truncate(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
