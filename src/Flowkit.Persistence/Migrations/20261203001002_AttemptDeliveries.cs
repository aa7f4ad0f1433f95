using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// How many times the current attempt of a step was sent to workers: an attempt that no worker reported on by its
/// deadline (it waited out an outage in the outbox or a queue) is sent again with a longer delivery window instead of
/// failing (issue #10, docs/reliability.md).
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001002_AttemptDeliveries")]
public sealed class AttemptDeliveries : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("ALTER TABLE run_steps ADD COLUMN attempt_deliveries integer NOT NULL DEFAULT 0;");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("ALTER TABLE run_steps DROP COLUMN attempt_deliveries;");
    }
}
