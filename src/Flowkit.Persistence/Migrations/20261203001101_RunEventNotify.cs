using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Every commit that adds events to a run's timeline notifies channel <c>flowkit_run_events</c> with the run's id, so
/// the API processes serving a live stream of that run (<c>GET /api/v1/runs/{id}/events/stream</c>) read the new
/// events at once, whichever process wrote them (issue #11). PostgreSQL delivers a notification only after the commit
/// and folds identical ones of one transaction into one, so a transition that adds four events notifies once.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001101_RunEventNotify")]
public sealed class RunEventNotify : Migration
{
    /// <summary>The channel the API listens on; the payload is the run id.</summary>
    public const string Channel = "flowkit_run_events";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql($"""
            CREATE FUNCTION flowkit_notify_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{Channel}', NEW.run_id::text);
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER run_events_notify AFTER INSERT ON run_events
                FOR EACH ROW EXECUTE FUNCTION flowkit_notify_run_event();
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TRIGGER run_events_notify ON run_events;
            DROP FUNCTION flowkit_notify_run_event();
            """);
    }
}
