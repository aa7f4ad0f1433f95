using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Webhook deduplication is scoped to the workflow, not only the hook key (issue 19 finding 7): a new workflow that
/// reuses an archived workflow's hook key must not see its deliveries as duplicates of the old workflow's runs.
/// Existing keys move from scope <c>hook:{key}</c> to <c>hook:{workflow id}:{key}</c>, the workflow being that of the
/// run the key started, so a duplicate of a delivery accepted before the upgrade is still recognised.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203000501_HookDedupePerWorkflow")]
public sealed class HookDedupePerWorkflow : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            UPDATE run_requests r
            SET scope = 'hook:' || replace(runs.workflow_id::text, '-', '') || ':' || substr(r.scope, 6)
            FROM runs
            WHERE runs.id = r.run_id AND r.scope LIKE 'hook:%' AND r.scope NOT LIKE 'hook:%:%';
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        // Back to one scope per hook key; where two workflows used one key, the newer run's key is dropped.
        migrationBuilder.Sql("""
            DELETE FROM run_requests r USING run_requests o
            WHERE r.scope LIKE 'hook:%:%' AND o.scope LIKE 'hook:%:%' AND r.workspace = o.workspace AND r.key = o.key
              AND split_part(r.scope, ':', 3) = split_part(o.scope, ':', 3) AND r.created_at > o.created_at;
            UPDATE run_requests SET scope = 'hook:' || split_part(scope, ':', 3) WHERE scope LIKE 'hook:%:%';
            """);
    }
}
