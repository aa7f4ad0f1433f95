using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// For-each steps (issue #12, docs/workflow-language.md): one row per item in <c>run_step_items</c>, keyed by run,
/// step and index, and counters on the step row, so that an item's transition reads and writes a few rows whatever the
/// list's length. The partial indexes serve the queries that must not scan a step's items: the timeout sweeper
/// (running items past their deadline) and cancel and resume (the items in flight, at most a step's concurrency).
/// The items reference the run, not the step row: the step row of a root step is written later in the transaction
/// that creates its items.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001601_ForEachItems")]
public sealed class ForEachItems : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE run_steps
                ADD COLUMN item_count integer,
                ADD COLUMN items_dispatched integer NOT NULL DEFAULT 0,
                ADD COLUMN items_finished integer NOT NULL DEFAULT 0,
                ADD COLUMN items_failed integer NOT NULL DEFAULT 0;

            CREATE TABLE run_step_items (
                run_id uuid NOT NULL REFERENCES runs (id),
                step_id text NOT NULL,
                index integer NOT NULL,
                value jsonb NOT NULL,
                status text NOT NULL,
                attempt integer NOT NULL DEFAULT 0,
                output jsonb,
                error text,
                error_code text,
                started_at timestamptz,
                finished_at timestamptz,
                attempt_dispatched_at timestamptz,
                deadline_at timestamptz,
                attempt_deliveries integer NOT NULL DEFAULT 0,
                PRIMARY KEY (run_id, step_id, index)
            );
            CREATE INDEX ix_run_step_items_deadline ON run_step_items (deadline_at) WHERE status = 'running';
            CREATE INDEX ix_run_step_items_in_flight ON run_step_items (run_id, step_id)
                WHERE status IN ('running', 'retrying') OR (status = 'pending' AND attempt > 0);
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TABLE run_step_items;
            ALTER TABLE run_steps DROP COLUMN item_count, DROP COLUMN items_dispatched, DROP COLUMN items_finished, DROP COLUMN items_failed;
            """);
    }
}
