using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// The relay claims outbox rows with a lease (<c>claimed_until</c>) instead of holding their row locks while it
/// publishes, and parks rows that can never be sent (<c>poisoned_at</c>, <c>error</c>) instead of retrying them at
/// the head of the line forever (issue #10).
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203000601_OutboxLeases")]
public sealed class OutboxLeases : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
            ALTER TABLE outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN poisoned_at timestamptz;
            ALTER TABLE outbox ADD COLUMN error text;
            DROP INDEX ix_outbox_due;
            CREATE INDEX ix_outbox_due ON outbox (due_at, sequence) WHERE poisoned_at IS NULL;
            CREATE INDEX ix_outbox_poisoned ON outbox (poisoned_at) WHERE poisoned_at IS NOT NULL;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP INDEX ix_outbox_poisoned;
            DROP INDEX ix_outbox_due;
            CREATE INDEX ix_outbox_due ON outbox (due_at, sequence);
            ALTER TABLE outbox DROP COLUMN claimed_until, DROP COLUMN attempts, DROP COLUMN poisoned_at, DROP COLUMN error;
            """);
    }
}
