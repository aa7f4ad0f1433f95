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

    /// <summary>Whether this process runs a relay (every process that writes outbox rows should).</summary>
    public bool RelayEnabled { get; set; } = true;
}
