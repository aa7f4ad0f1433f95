using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// The per-workspace quota of runs in flight (issue 19 finding 8). Counting a workspace's unfinished runs on every
/// launch would cost as much as there are runs in flight; instead triggers on <c>runs</c> keep a count in
/// <c>workspace_runs_in_flight</c>, and <c>flowkit_require_run_quota</c>, the first statement of RunLauncher's batch,
/// reads it (one round trip still). "In flight" is every state that is not finished (pending, running, waiting, and
/// any later unfinished state such as paused). The count is split over 16 rows per workspace, chosen by the
/// database backend, so concurrent launches and finishing runs rarely wait on one counter row lock; its sum is the
/// count. Only the counts are kept: nothing else reads or writes these rows.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203000502_RunsInFlightQuota")]
public sealed class RunsInFlightQuota : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            -- No run may change while the counts are taken and the triggers put in place.
            LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE;

            CREATE TABLE workspace_runs_in_flight (
                workspace text NOT NULL,
                slot integer NOT NULL,
                runs bigint NOT NULL,
                PRIMARY KEY (workspace, slot)
            );

            INSERT INTO workspace_runs_in_flight (workspace, slot, runs)
            SELECT workspace, 0, count(*) FROM runs
            WHERE current_state NOT IN ('Succeeded', 'Failed', 'Cancelled')
            GROUP BY workspace;

            CREATE FUNCTION flowkit_count_runs_in_flight() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                was integer := 0;
                now_in integer := 0;
                ws text;
            BEGIN
                IF TG_OP <> 'INSERT' AND OLD.current_state NOT IN ('Succeeded', 'Failed', 'Cancelled') THEN
                    was := 1;
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.current_state NOT IN ('Succeeded', 'Failed', 'Cancelled') THEN
                    now_in := 1;
                END IF;
                IF now_in <> was THEN
                    ws := CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace ELSE NEW.workspace END;
                    INSERT INTO workspace_runs_in_flight AS c (workspace, slot, runs)
                    VALUES (ws, pg_backend_pid() % 16, now_in - was)
                    ON CONFLICT (workspace, slot) DO UPDATE SET runs = c.runs + EXCLUDED.runs;
                END IF;
                RETURN NULL;
            END $$;

            CREATE TRIGGER runs_in_flight_insert AFTER INSERT ON runs
                FOR EACH ROW EXECUTE FUNCTION flowkit_count_runs_in_flight();
            CREATE TRIGGER runs_in_flight_update AFTER UPDATE OF current_state ON runs
                FOR EACH ROW WHEN (OLD.current_state IS DISTINCT FROM NEW.current_state) EXECUTE FUNCTION flowkit_count_runs_in_flight();
            CREATE TRIGGER runs_in_flight_delete AFTER DELETE ON runs
                FOR EACH ROW EXECUTE FUNCTION flowkit_count_runs_in_flight();

            -- Raises SQLSTATE FKQ01 when the workspace has p_limit or more runs in flight (0 = no quota); RunLauncher
            -- sends it first in its batch, so an over-quota launch stores nothing.
            CREATE FUNCTION flowkit_require_run_quota(p_workspace text, p_limit bigint) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                in_flight bigint;
            BEGIN
                IF p_limit > 0 THEN
                    SELECT coalesce(sum(runs), 0) INTO in_flight FROM workspace_runs_in_flight WHERE workspace = p_workspace;
                    IF in_flight >= p_limit THEN
                        RAISE EXCEPTION 'workspace % has % runs in flight, its quota is %', p_workspace, in_flight, p_limit
                            USING ERRCODE = 'FKQ01';
                    END IF;
                END IF;
            END $$;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TRIGGER runs_in_flight_insert ON runs;
            DROP TRIGGER runs_in_flight_update ON runs;
            DROP TRIGGER runs_in_flight_delete ON runs;
            DROP FUNCTION flowkit_count_runs_in_flight();
            DROP FUNCTION flowkit_require_run_quota(text, bigint);
            DROP TABLE workspace_runs_in_flight;
            """);
    }
}
