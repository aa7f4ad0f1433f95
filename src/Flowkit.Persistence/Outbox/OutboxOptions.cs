using System.ComponentModel.DataAnnotations;

namespace Flowkit.Persistence.Outbox;

/// <summary>Outbox relay and inbox cleanup settings.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Flowkit:Outbox";

    /// <summary>Rows claimed and sent per relay round.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>Longest sleep between relay rounds when nothing wakes the relay (rows of other processes, timers).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long consumed message ids are kept to recognise redeliveries.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often old inbox rows are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a relay owns the rows it claimed while it sends them. A relay that dies or is stuck at the broker
    /// longer than this leaves them to another relay (sent again with the same MessageId; the inbox drops repeats).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Inbox rows deleted per statement by the cleanup, so it never holds many locks or a long transaction.</summary>
    [Range(1, 100_000)]
    public int CleanupBatchSize { get; set; } = 1000;

    /// <summary>Whether this process runs a relay (every process that writes outbox rows should).</summary>
    public bool RelayEnabled { get; set; } = true;
}
