namespace Flowkit.Persistence.Outbox;

/// <summary>One message waiting to leave (<c>outbox</c>): written in a business transaction, sent by the relay.</summary>
public sealed class OutboxMessageRow
{
    public long Sequence { get; set; }

    /// <summary>The MessageId it is sent with, the same on every delivery attempt, so the inbox can dedupe.</summary>
    public Guid MessageId { get; set; }

    /// <summary>The run it belongs to, if any (to cancel a run's timers).</summary>
    public Guid? RunId { get; set; }

    /// <summary><c>queue:name</c> to send, or <c>publish</c>.</summary>
    public string Destination { get; set; } = "";

    /// <summary>The contract type's full name (a type of Flowkit.Contracts).</summary>
    public string MessageType { get; set; } = "";

    public string Body { get; set; } = "";

    /// <summary>W3C traceparent of the transaction that wrote it, so a run stays one trace across processes.</summary>
    public string? TraceParent { get; set; }

    /// <summary>When it may be sent: the write time for an immediate message, the due time for a timer.</summary>
    public DateTimeOffset DueAt { get; set; }

    /// <summary>Names a timer so that it can be cancelled; null for immediate messages.</summary>
    public Guid? Token { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>A relay has claimed the row until then (it is publishing it); another relay may take it after.</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    /// <summary>How many times a relay has claimed the row.</summary>
    public int Attempts { get; set; }

    /// <summary>Set when the row can never be sent (unknown type, unreadable body, bad destination): parked, not retried.</summary>
    public DateTimeOffset? PoisonedAt { get; set; }

    /// <summary>Why the row was parked.</summary>
    public string? Error { get; set; }
}

/// <summary>A consumed message (<c>inbox</c>): recorded in the consuming transaction, so a redelivery is a no-op.</summary>
public sealed class InboxMessageRow
{
    public Guid MessageId { get; set; }

    public string Consumer { get; set; } = "";

    public DateTimeOffset ReceivedAt { get; set; }
}
