using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Attempt deadlines live in the step row (found by the timeout sweeper through a partial index of running steps),
/// and attempt history rows are written when an attempt ends.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000204_StepDeadlines")]
public sealed class StepDeadlines : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE run_steps ADD COLUMN attempt_dispatched_at timestamptz;
            ALTER TABLE run_steps ADD COLUMN deadline_at timestamptz;
            CREATE INDEX ix_run_steps_deadline ON run_steps (deadline_at) WHERE status = 'running' AND deadline_at IS NOT NULL;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP INDEX ix_run_steps_deadline;
            ALTER TABLE run_steps DROP COLUMN attempt_dispatched_at, DROP COLUMN deadline_at;
            """);
    }
}
