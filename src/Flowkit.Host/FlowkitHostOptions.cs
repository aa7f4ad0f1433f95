using System.ComponentModel.DataAnnotations;

namespace Flowkit.Host;

/// <summary>What this process runs.</summary>
public sealed class FlowkitHostOptions
{
    public const string Section = "Flowkit";

    /// <summary>Comma-separated roles: <c>api</c>, <c>engine</c>, <c>worker</c>, <c>scheduler</c> (cron), <c>hub</c> (integration hub). Default: all of them.</summary>
    [Required]
    public string Roles { get; set; } = "api,engine,worker,scheduler,hub";

    /// <summary>Apply database migrations at start-up (the all-in-one host and the API do; workers never touch the database).</summary>
    public bool MigrateOnStart { get; set; } = true;

    public bool Has(string role) =>
        Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(role, StringComparer.OrdinalIgnoreCase);
}
