using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>The transactional outbox (with due times: durable timers) and the consumer inbox.</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000201_OutboxInbox")]
public sealed class OutboxInbox : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE outbox (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_id uuid NOT NULL,
                run_id uuid,
                destination text NOT NULL,
                message_type text NOT NULL,
                body text NOT NULL,
                trace_parent text,
                due_at timestamptz NOT NULL,
                token uuid,
                created_at timestamptz NOT NULL
            );
            CREATE INDEX ix_outbox_due ON outbox (due_at, sequence);
            CREATE INDEX ix_outbox_token ON outbox (token) WHERE token IS NOT NULL;
            CREATE INDEX ix_outbox_run_timers ON outbox (run_id) WHERE token IS NOT NULL;

            CREATE TABLE inbox (
                message_id uuid NOT NULL,
                consumer text NOT NULL,
                received_at timestamptz NOT NULL,
                PRIMARY KEY (message_id, consumer)
            );
            CREATE INDEX ix_inbox_received ON inbox (received_at);
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE outbox, inbox;");
    }
}
