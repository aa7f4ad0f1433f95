using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>API keys (stored as SHA-256 hashes, one workspace each) and who created each workflow version.</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000301_ApiKeys")]
public sealed class ApiKeys : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE api_keys (
                id uuid PRIMARY KEY,
                workspace text NOT NULL REFERENCES workspaces (id),
                name text NOT NULL,
                prefix text NOT NULL,
                hash bytea NOT NULL,
                role text NOT NULL,
                created_by text NOT NULL,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz,
                CONSTRAINT ux_api_keys_hash UNIQUE (hash)
            );
            -- A revoked key gives up its name, so a replacement can take it.
            CREATE UNIQUE INDEX ux_api_keys_workspace_name ON api_keys (workspace, name) WHERE revoked_at IS NULL;
            CREATE INDEX ix_api_keys_workspace_created ON api_keys (workspace, created_at DESC, id DESC);

            ALTER TABLE workflow_versions ADD COLUMN created_by text;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            DROP TABLE api_keys;
            ALTER TABLE workflow_versions DROP COLUMN created_by;
            """);
    }
}
