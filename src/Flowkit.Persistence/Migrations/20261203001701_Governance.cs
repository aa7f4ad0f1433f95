using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Governance (issue #16): roles on API keys (checked by the database too), key rotation with an optional grace
/// period for the previous secret, and the append-only audit log.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203001701_Governance")]
public sealed class Governance : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            ALTER TABLE api_keys
                ADD CONSTRAINT ck_api_keys_role CHECK (role IN ('admin', 'editor', 'operator', 'approver', 'viewer')),
                ADD COLUMN rotated_at timestamptz,
                ADD COLUMN previous_hash bytea,
                ADD COLUMN previous_valid_until timestamptz;
            -- A rotated key's previous secret authenticates until previous_valid_until (the grace period).
            CREATE UNIQUE INDEX ux_api_keys_previous_hash ON api_keys (previous_hash) WHERE previous_hash IS NOT NULL;

            CREATE TABLE audit_log (
                id uuid PRIMARY KEY,
                workspace text NOT NULL,
                at timestamptz NOT NULL,
                actor_key_id uuid,
                actor_name text NOT NULL,
                action text NOT NULL,
                target text NOT NULL,
                before jsonb,
                after jsonb
            );
            CREATE INDEX ix_audit_log_workspace_at ON audit_log (workspace, at DESC, id DESC);

            -- Append-only: a row, once written, can be neither changed nor removed, whoever connects. The table's
            -- owner could drop the trigger, which is an act on the schema, visible in the database's own log.
            CREATE FUNCTION flowkit_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'FKA01';
            END
            $$;
            CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION flowkit_audit_log_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION flowkit_audit_log_append_only();
            REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TABLE audit_log;
            DROP FUNCTION flowkit_audit_log_append_only();
            DROP INDEX ux_api_keys_previous_hash;
            ALTER TABLE api_keys
                DROP CONSTRAINT ck_api_keys_role,
                DROP COLUMN rotated_at,
                DROP COLUMN previous_hash,
                DROP COLUMN previous_valid_until;
            """);
    }
}
