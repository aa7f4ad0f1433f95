using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Flowkit.Contracts;

namespace Flowkit.Hub.Events;

/// <summary>
/// The stable id of a lifecycle event: a hash of what identifies it (run, type, step, attempt, time), so the same
/// event redelivered by RabbitMQ gets the same id, and destinations can deduplicate by <c>Idempotency-Key</c>.
/// </summary>
internal static class EventIds
{
    public static Guid For(RunLifecycleEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = string.Create(CultureInfo.InvariantCulture, $"{e.RunId:N}|{e.Type}|{e.StepId}|{e.Attempt}|{e.Timestamp.UtcTicks}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        // Marked as a version 8 (custom) UUID, RFC 9562.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
