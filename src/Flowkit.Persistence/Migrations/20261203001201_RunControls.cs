using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Run controls (issue #12, docs/run-control.md): a run records when it was paused, and a rerun the run it reruns
/// and the step it starts from; a step of a rerun records the run whose result it reused. The partial index finds the
/// reruns of a run (a bulk rerun skips runs already rerun) without growing with the runs that are not reruns.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001201_RunControls")]
public sealed class RunControls : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE runs ADD COLUMN paused_at timestamptz;
            ALTER TABLE runs ADD COLUMN rerun_of uuid;
            ALTER TABLE runs ADD COLUMN rerun_from text;
            CREATE INDEX ix_runs_rerun_of ON runs (rerun_of) WHERE rerun_of IS NOT NULL;
            ALTER TABLE run_steps ADD COLUMN reused_from uuid;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE run_steps DROP COLUMN reused_from;
            DROP INDEX ix_runs_rerun_of;
            ALTER TABLE runs DROP COLUMN paused_at, DROP COLUMN rerun_of, DROP COLUMN rerun_from;
            """);
    }
}
