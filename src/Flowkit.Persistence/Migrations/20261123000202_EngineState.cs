using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>Attempts, approvals, and per-workflow concurrency slots with their line of waiting runs.</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000202_EngineState")]
public sealed class EngineState : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE runs ADD COLUMN open_approvals integer NOT NULL DEFAULT 0;
            ALTER TABLE runs ADD COLUMN holds_slot boolean NOT NULL DEFAULT false;

            CREATE TABLE run_step_attempts (
                run_id uuid NOT NULL REFERENCES runs (id),
                step_id text NOT NULL,
                attempt integer NOT NULL,
                status text NOT NULL,
                dispatched_at timestamptz NOT NULL,
                started_at timestamptz,
                finished_at timestamptz,
                error text,
                PRIMARY KEY (run_id, step_id, attempt)
            );

            CREATE TABLE approvals (
                run_id uuid NOT NULL REFERENCES runs (id),
                step_id text NOT NULL,
                attempt integer NOT NULL,
                workspace text NOT NULL,
                message text NOT NULL,
                requested_at timestamptz NOT NULL,
                expires_at timestamptz,
                decision text,
                decided_by text,
                comment text,
                decided_at timestamptz,
                PRIMARY KEY (run_id, step_id, attempt),
                CONSTRAINT ck_approvals_decision CHECK (decision IN ('approved', 'rejected', 'expired'))
            );
            CREATE INDEX ix_approvals_open ON approvals (workspace, requested_at) WHERE decision IS NULL;

            CREATE TABLE workflow_slots (
                workflow_id uuid PRIMARY KEY REFERENCES workflows (id),
                running integer NOT NULL CHECK (running >= 0)
            );

            CREATE TABLE run_queue (
                run_id uuid PRIMARY KEY REFERENCES runs (id),
                workflow_id uuid NOT NULL,
                enqueued_at timestamptz NOT NULL,
                handed_over boolean NOT NULL DEFAULT false
            );
            CREATE INDEX ix_run_queue_line ON run_queue (workflow_id, enqueued_at, run_id) WHERE NOT handed_over;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TABLE run_queue, workflow_slots, approvals, run_step_attempts;
            ALTER TABLE runs DROP COLUMN open_approvals, DROP COLUMN holds_slot;
            """);
    }
}
