using System.ComponentModel.DataAnnotations;

namespace Flowkit.Api.Runs.Stream;

/// <summary>The live run stream, <c>GET /api/v1/runs/{id}/events/stream</c> (<c>Flowkit:RunStream</c>, docs/api.md).</summary>
public sealed class RunStreamOptions
{
    public const string Section = "Flowkit:RunStream";

    /// <summary>
    /// How long a quiet stream waits before it sends a comment line (<c>: keep-alive</c>), so proxies and load
    /// balancers that close idle connections keep it open. The stream also reads the timeline again then, so an event
    /// whose notification was lost (the listening connection dropped) arrives at the latest one heartbeat late.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The most streams one API process keeps open at once; one more answers 503 with <c>Retry-After</c>. Each open
    /// stream costs a connection and a waiting task, and one timeline read per transition of its run (the database
    /// connection is taken only for the read).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxStreams { get; set; } = 1000;

    /// <summary>How long the listener waits before it connects again after losing its PostgreSQL connection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);
}
