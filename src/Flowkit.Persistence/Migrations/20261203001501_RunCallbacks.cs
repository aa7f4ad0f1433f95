using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Callback steps (issue #12): one row per callback step of a run, created when the run starts, found by the SHA-256
/// of its one-time token. A call and the step's expiry each claim it with a conditional UPDATE.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001501_RunCallbacks")]
public sealed class RunCallbacks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE run_callbacks (
                token_hash bytea PRIMARY KEY,
                run_id uuid NOT NULL REFERENCES runs (id),
                step_id text NOT NULL,
                workspace text NOT NULL,
                created_at timestamptz NOT NULL,
                received_at timestamptz,
                body jsonb,
                expired_at timestamptz,
                UNIQUE (run_id, step_id)
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE run_callbacks;");
    }
}
