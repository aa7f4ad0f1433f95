using System.ComponentModel.DataAnnotations;

namespace Flowkit.Api.Cron;

/// <summary>The cron scheduler role's settings (<c>Flowkit:Scheduler</c>); see docs/ingress.md.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Flowkit:Scheduler";

    /// <summary>How often the cron triggers are synchronised with the latest workflow versions (also on a signal).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A fire later than this is a misfire: it fires once, now, and the schedule resumes (Quartz
    /// <c>FireAndProceed</c>); a fire less late than this simply fires late, for its own scheduled time.
    /// </summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often each scheduler node records in PostgreSQL that it is alive (the cluster's failure detector).</summary>
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cron fires handled at once by one node.</summary>
    [Range(1, 64)]
    public int Threads { get; set; } = 4;
}
