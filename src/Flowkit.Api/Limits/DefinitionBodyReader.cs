using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Api.Limits;

/// <summary>
/// Reads a definition body without ever holding more than <see cref="Flowkit.Definitions.DefinitionLimits.MaxDefinitionBytes"/>
/// of it: a declared Content-Length over the limit is refused before a byte is read, and a body sent without one is
/// read only until it passes the limit.
/// </summary>
internal static class DefinitionBodyReader
{
    /// <summary>
    /// The body as text, or null when it is over <paramref name="maxBytes"/>, with its size when the request declared
    /// one (-1 when it did not: reading stopped at the limit).
    /// </summary>
    public static async Task<(string? Text, long Bytes)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            return (null, declared);
        }

        using var body = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    return (null, -1);
                }

                await body.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        var preamble = Encoding.UTF8.Preamble;
        if (bytes.StartsWith(preamble))
        {
            bytes = bytes[preamble.Length..];
        }

        return (Encoding.UTF8.GetString(bytes), body.Length);
    }
}
