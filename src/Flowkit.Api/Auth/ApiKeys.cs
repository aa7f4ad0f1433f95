using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Flowkit.Api.Auth;

/// <summary>API key text: how keys are made, hashed, shown and read from the Authorization header.</summary>
internal static class ApiKeys
{
    /// <summary>Generated keys start with this, so a leaked one is recognisable (secret scanners, logs).</summary>
    public const string KeyPrefix = "fk_";

    private const int DisplayLength = 11;

    /// <summary>A new key: 256 random bits, URL-safe. Shown once; only its hash is stored.</summary>
    public static string Generate() => KeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>SHA-256 of the key. Keys are random and long, so no salt or slow hash is needed to resist guessing.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The start of a key, stored and listed so people can tell keys apart without seeing them.</summary>
    public static string Display(string key) => key[..Math.Min(DisplayLength, key.Length)];

    /// <summary>Reads <c>Bearer &lt;key&gt;</c> (scheme case-insensitive, RFC 6750); false for any other shape.</summary>
    public static bool TryReadBearer(string header, out string key)
    {
        key = "";
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !header.AsSpan(0, space).Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var token = header[(space + 1)..].Trim();
        if (token.Length == 0 || token.Any(char.IsWhiteSpace))
        {
            return false;
        }

        key = token;
        return true;
    }
}
