using System.ComponentModel.DataAnnotations;

namespace Flowkit.Host.Observability;

/// <summary>Metrics, logs and traces of this process (docs/observability.md).</summary>
public sealed class ObservabilityOptions
{
    public const string Section = "Flowkit:Observability";

    /// <summary>
    /// <c>json</c>: one ECS JSON object per line on stdout (for Filebeat and Kibana); <c>text</c>: the plain console
    /// format for a developer's terminal. Unset: <c>text</c> in Development, <c>json</c> elsewhere.
    /// </summary>
    [RegularExpression("^(json|text)$")]
    public string? LogFormat { get; set; }

    /// <summary>The <c>service.name</c> of logs, traces and metrics; <c>OTEL_SERVICE_NAME</c> wins when set.</summary>
    [Required]
    public string ServiceName { get; set; } = "flowkit";

    /// <summary>
    /// How often the gauges read from PostgreSQL (outbox lag, overdue steps) and the RabbitMQ management API (queue
    /// depth, consumers) are refreshed. A scrape reads the last values and never waits for either.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan GaugeRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one refresh may take before it is given up (the old values stay).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan GaugeRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A running step counts as overdue (<c>flowkit_steps_overdue</c>) when its attempt deadline passed longer ago than
    /// this: the timeout sweeper should have ended it by then, so the run is not progressing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan OverdueGrace { get; set; } = TimeSpan.FromMinutes(1);
}
