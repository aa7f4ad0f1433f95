using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>Run request keys (Idempotency-Key, webhook dedupe, cron fire): the arbiter against duplicate runs.</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000203_RunRequests")]
public sealed class RunRequests : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE run_requests (
                workspace text NOT NULL,
                scope text NOT NULL,
                key text NOT NULL,
                run_id uuid NOT NULL REFERENCES runs (id),
                created_at timestamptz NOT NULL,
                PRIMARY KEY (workspace, scope, key)
            );
            CREATE INDEX ix_run_requests_created ON run_requests (created_at);
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE run_requests;");
    }
}
