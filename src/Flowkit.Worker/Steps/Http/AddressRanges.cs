using System.Net;

namespace Flowkit.Worker.Steps.Http;

/// <summary>
/// Address ranges as <see cref="IPNetwork"/> (the BCL's CIDR type does the matching): how Flowkit reads a
/// configured range, where a bare address is a one-address range and host bits after the prefix are ignored.
/// </summary>
internal static class AddressRanges
{
    public static IPNetwork Parse(string text) =>
        TryParse(text, out var network) ? network : throw new FormatException($"'{text}' is not an address range like 10.0.0.0/8 or an address like 10.1.2.3.");

    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var addressText = (slash < 0 ? trimmed : trimmed[..slash]).Trim('[', ']');
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        address = Normalize(address);
        var bits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (slash < 0)
        {
            network = new IPNetwork(address, bits);
            return true;
        }

        // IPNetwork.TryParse refuses a range whose address has bits set after the prefix (10.1.2.3/8); an operator
        // who wrote that means the range it lies in, so the prefix is applied first.
        if (!int.TryParse(trimmed[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix) || prefix > bits)
        {
            return false;
        }

        return IPNetwork.TryParse($"{Truncate(address, prefix)}/{prefix}", out network);
    }

    /// <summary>True when the range is exactly one address (<c>/32</c> or <c>/128</c>).</summary>
    public static bool IsSingleAddress(this IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);

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
