using System.Diagnostics;
using System.Text.Json;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// The one writer of outbox rows: every message that leaves a transaction (the saga through <see cref="EfOutbox"/>,
/// the launcher's StartRun in <c>Runs/RunLauncher.cs</c>) is built here, with the same message id scheme,
/// destination names, serialisation and trace context, whoever writes the row and however it is inserted.
/// </summary>
internal static class OutboxRows
{
    /// <summary>The serialisation of every outbox body; the relay reads bodies back with it.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The destination of a message published to its subscribers.</summary>
    public const string Publish = "publish";

    /// <summary>The destination of a message sent to <paramref name="queue"/>.</summary>
    public static string Queue(string queue) => $"queue:{queue}";

    /// <summary>
    /// The row for <paramref name="message"/> (its contract type is <typeparamref name="T"/>), written at
    /// <paramref name="now"/>, due at <paramref name="due"/> (now for an immediate message) and, for a timer, named by
    /// <paramref name="token"/>. It carries the current trace context, so a run stays one trace across processes.
    /// </summary>
    public static OutboxMessageRow Create<T>(T message, string destination, Guid runId, DateTimeOffset now, DateTimeOffset? due = null, Guid? token = null)
        where T : class => new()
        {
            MessageId = Guid.CreateVersion7(),
            RunId = runId == Guid.Empty ? null : runId,
            Destination = destination,
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, Json),
            TraceParent = Activity.Current?.Id,
            DueAt = due ?? now,
            Token = token,
            CreatedAt = now,
        };
}
