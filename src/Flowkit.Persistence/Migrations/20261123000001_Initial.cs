using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>Workspaces, workflows and versions, runs (the saga rows), their steps and timelines.</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000001_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE workspaces (
                id text PRIMARY KEY,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO workspaces (id) VALUES ('default');

            CREATE TABLE workflows (
                id uuid PRIMARY KEY,
                workspace text NOT NULL REFERENCES workspaces (id),
                name text NOT NULL,
                description text,
                latest_version integer NOT NULL,
                archived_at timestamptz,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                CONSTRAINT ux_workflows_workspace_name UNIQUE (workspace, name)
            );

            CREATE TABLE workflow_versions (
                workflow_id uuid NOT NULL REFERENCES workflows (id),
                version integer NOT NULL,
                workspace text NOT NULL,
                definition jsonb NOT NULL,
                source text NOT NULL,
                source_format text NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (workflow_id, version)
            );

            CREATE TABLE runs (
                id uuid PRIMARY KEY,
                workspace text NOT NULL,
                workflow_id uuid NOT NULL,
                workflow text NOT NULL,
                version integer NOT NULL,
                attempt integer NOT NULL DEFAULT 1,
                current_state text NOT NULL,
                input jsonb NOT NULL,
                remaining_steps integer NOT NULL DEFAULT 0,
                error text,
                created_at timestamptz NOT NULL,
                started_at timestamptz,
                finished_at timestamptz,
                FOREIGN KEY (workflow_id, version) REFERENCES workflow_versions (workflow_id, version)
            );
            CREATE INDEX ix_runs_workspace_created ON runs (workspace, created_at DESC, id DESC);
            CREATE INDEX ix_runs_workspace_workflow_created ON runs (workspace, workflow, created_at DESC, id DESC);

            CREATE TABLE run_steps (
                run_id uuid NOT NULL REFERENCES runs (id),
                step_id text NOT NULL,
                index integer NOT NULL,
                status text NOT NULL,
                attempt integer NOT NULL DEFAULT 0,
                pending_needs integer NOT NULL,
                succeeded_needs integer NOT NULL,
                output jsonb,
                error text,
                condition_result boolean,
                started_at timestamptz,
                finished_at timestamptz,
                PRIMARY KEY (run_id, step_id)
            );

            CREATE TABLE run_events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id uuid NOT NULL REFERENCES runs (id),
                workspace text NOT NULL,
                type text NOT NULL,
                step_id text,
                attempt integer,
                timestamp timestamptz NOT NULL,
                data jsonb,
                trace_id text
            );
            CREATE INDEX ix_run_events_run ON run_events (run_id, id);
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE run_events, run_steps, runs, workflow_versions, workflows, workspaces;");
    }
}
