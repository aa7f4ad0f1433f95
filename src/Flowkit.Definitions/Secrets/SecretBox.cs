using System.Security.Cryptography;
using System.Text;

namespace Flowkit.Definitions.Secrets;

/// <summary>
/// Seals and unseals secret values with AES-GCM under one 256-bit key. A sealed value is
/// <c>base64(nonce | ciphertext | tag)</c> with a fresh random 96-bit nonce per seal. The workspace and the secret's
/// name are authenticated as associated data, so a sealed value copied to another name or workspace fails to
/// unseal instead of leaking under the wrong name. Thread-safe (a new <see cref="AesGcm"/> per call: it is cheap,
/// and an instance is not safe to share between threads).
/// </summary>
public sealed class SecretBox
{
    /// <summary>Key length in bytes (AES-256).</summary>
    public const int KeySize = 32;

    private const int NonceSize = 12;
    private const int TagSize = 16;

    // Bumping this label makes every value sealed under the old layout fail authentication rather than be misread.
    private const string Purpose = "flowkit-secret-v1";

    private readonly byte[] _key;

    public SecretBox(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A secret key is {KeySize} bytes (256 bits); this one is {key.Length}.", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>Encrypts <paramref name="value"/> for the secret <paramref name="name"/> of <paramref name="workspace"/>.</summary>
    public string Seal(string workspace, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var plain = Encoding.UTF8.GetBytes(value);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        var cipher = sealedBytes.AsSpan(NonceSize, plain.Length);
        var tag = sealedBytes.AsSpan(NonceSize + plain.Length, TagSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, cipher, tag, AssociatedData(workspace, name));
        CryptographicOperations.ZeroMemory(plain);
        return Convert.ToBase64String(sealedBytes);
    }

    /// <summary>Decrypts a value sealed by <see cref="Seal"/> for the same workspace and name.</summary>
    /// <exception cref="SecretUnsealException">
    /// The text is not a sealed value, or it was sealed under another key, workspace or name, or it was changed.
    /// </exception>
    public string Unseal(string workspace, string name, string sealedValue)
    {
        ArgumentNullException.ThrowIfNull(sealedValue);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(sealedValue);
        }
        catch (FormatException e)
        {
            throw new SecretUnsealException($"The sealed value of secret '{name}' is not base64.", e);
        }

        if (bytes.Length < NonceSize + TagSize)
        {
            throw new SecretUnsealException($"The sealed value of secret '{name}' is too short to be one.");
        }

        var cipherLength = bytes.Length - NonceSize - TagSize;
        var plain = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(
                bytes.AsSpan(0, NonceSize),
                bytes.AsSpan(NonceSize, cipherLength),
                bytes.AsSpan(NonceSize + cipherLength, TagSize),
                plain,
                AssociatedData(workspace, name));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new SecretUnsealException(
                $"Secret '{name}' cannot be unsealed: it was sealed under another key (is {SecretsOptions.Section}:Key the same on the API and the workers?), for another workspace or name, or it was altered.",
                e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] AssociatedData(string workspace, string name)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(name);
        // NUL cannot occur in workspace ids or secret names, so distinct (workspace, name) pairs never collide.
        return Encoding.UTF8.GetBytes($"{Purpose}\0{workspace}\0{name}");
    }
}

/// <summary>A sealed secret could not be opened; the message names the secret, never its value.</summary>
public sealed class SecretUnsealException : Exception
{
    public SecretUnsealException()
    {
    }

    public SecretUnsealException(string message)
        : base(message)
    {
    }

    public SecretUnsealException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
