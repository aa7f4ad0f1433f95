using System.Text;

namespace Flowkit.Api.Auth;

/// <summary>
/// How Kestrel decodes the Authorization header (issue #18): UTF-8 where the bytes are UTF-8, U+FFFD for any byte
/// that is not and for NUL. Kestrel's default answers 400 for invalid UTF-8 and refuses a NUL a custom encoding
/// leaves in, both before Flowkit runs; the header is only ever compared with keys, so whatever it holds is a wrong
/// key and should get the API's 401.
/// </summary>
internal sealed class AuthorizationHeaderEncoding : Encoding
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static AuthorizationHeaderEncoding Instance { get; } = new();

    public override int GetByteCount(char[] chars, int index, int count) => Utf8.GetByteCount(chars, index, count);

    public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex) =>
        Utf8.GetBytes(chars, charIndex, charCount, bytes, byteIndex);

    public override int GetCharCount(byte[] bytes, int index, int count) => Utf8.GetCharCount(bytes, index, count);

    public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex)
    {
        var written = Utf8.GetChars(bytes, byteIndex, byteCount, chars, charIndex);
        var decoded = chars.AsSpan(charIndex, written);
        decoded.Replace('\0', '\uFFFD');
        return written;
    }

    public override int GetMaxByteCount(int charCount) => Utf8.GetMaxByteCount(charCount);

    public override int GetMaxCharCount(int byteCount) => Utf8.GetMaxCharCount(byteCount);
}
