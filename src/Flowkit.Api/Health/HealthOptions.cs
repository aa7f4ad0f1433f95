using System.ComponentModel.DataAnnotations;

namespace Flowkit.Api.Health;

/// <summary>Readiness bounds (<c>Flowkit:Health</c>).</summary>
public sealed class HealthOptions
{
    public const string Section = "Flowkit:Health";

    /// <summary>
    /// How long the oldest due outbox row may wait before a process that relays is unready (the relay is not sending).
    /// Default 1 min: well above a healthy relay's delay (milliseconds, a poll interval at worst) under load.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan OutboxLagLimit { get; set; } = TimeSpan.FromMinutes(1);
}
