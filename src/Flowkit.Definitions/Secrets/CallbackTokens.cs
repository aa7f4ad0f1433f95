using System.Security.Cryptography;
using System.Text;

namespace Flowkit.Definitions.Secrets;

/// <summary>
/// The one-time tokens of callback steps (<c>{{ steps.&lt;id&gt;.callbackUrl }}</c>). A token is 32 bytes, base64url:
/// the HMAC-SHA256 of the run and step under a key derived from the secrets key (<c>Flowkit:Secrets:Key</c>), so
/// nobody without that key can guess one, and the engine can give the same URL to every step of the run without
/// storing it. The database keeps only the token's SHA-256 (<see cref="Hash"/>), which is how a call finds its step.
/// </summary>
public sealed class CallbackTokens
{
    private static readonly byte[] Purpose = "flowkit callback tokens v1"u8.ToArray();

    private readonly byte[] _key;

    public CallbackTokens(ReadOnlySpan<byte> secretsKey)
    {
        // A key of its own (HKDF), so a token never reveals anything about the key that seals secrets.
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secretsKey.ToArray(), 32, info: Purpose);
    }

    /// <summary>The token of callback step <paramref name="stepId"/> of run <paramref name="runId"/>.</summary>
    public string Token(Guid runId, string stepId)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{runId:N}|{stepId}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>What the database stores for a token: its SHA-256.</summary>
    public static byte[] Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }
}
