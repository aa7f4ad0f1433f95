using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// The integration hub (issue #14): subscriptions of a workspace, and the delivery log, one row per event and
/// destination, with its status, attempts and last error. Deleting a subscription deletes its log.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001401_IntegrationHub")]
public sealed class IntegrationHub : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE hub_subscriptions (
                id uuid PRIMARY KEY,
                workspace text NOT NULL REFERENCES workspaces (id),
                name text COLLATE "C" NOT NULL,
                document jsonb NOT NULL,
                version integer NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE UNIQUE INDEX "IX_hub_subscriptions_workspace_name" ON hub_subscriptions (workspace, name);

            CREATE TABLE hub_deliveries (
                id uuid PRIMARY KEY,
                subscription_id uuid NOT NULL REFERENCES hub_subscriptions (id) ON DELETE CASCADE,
                workspace text NOT NULL,
                destination_index integer NOT NULL,
                kind text NOT NULL,
                destination jsonb NOT NULL,
                event_id uuid NOT NULL,
                event_type text NOT NULL,
                run_id uuid NOT NULL,
                event jsonb NOT NULL,
                status text NOT NULL,
                attempts integer NOT NULL,
                token uuid NULL,
                next_attempt_at timestamptz NULL,
                last_error text NULL,
                result text NULL,
                redrives integer NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                delivered_at timestamptz NULL
            );
            CREATE UNIQUE INDEX "IX_hub_deliveries_subscription_id_destination_index_event_id"
                ON hub_deliveries (subscription_id, destination_index, event_id);
            -- The delivery log reads newest first per subscription.
            CREATE INDEX hub_deliveries_log ON hub_deliveries (subscription_id, created_at DESC, id DESC);
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE hub_deliveries; DROP TABLE hub_subscriptions;");
    }
}
