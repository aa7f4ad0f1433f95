using System.ComponentModel.DataAnnotations;

namespace Flowkit.Engine.Timeouts;

/// <summary>Timeout sweeper settings.</summary>
public sealed class SweeperOptions
{
    public const string Section = "Flowkit:Engine:Timeouts";

    /// <summary>How often passed deadlines are looked for (the precision of step timeouts).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Deadlines handled per sweep.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// After the sweeper starts, and after a sweep fails (the database or the broker was unreachable), passed
    /// deadlines wait this long before they are acted on: reports that finished in time but waited for an engine or
    /// for the database (in the engine's retries, or in the queue) are applied first, so an outage longer than a
    /// step's timeout does not fail a step whose worker finished it. Longer than the saga endpoint's retry ceiling.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A timeout not yet acted on is sent again after this long (the first may have been lost).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromSeconds(30);
}
