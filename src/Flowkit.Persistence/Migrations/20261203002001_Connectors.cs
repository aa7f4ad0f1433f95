using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Connectors (issue #14): a named connector per workspace and its immutable versions, as workflows and their versions.
/// DELETE marks the connector deleted; a PUT of the same name brings it back with the next version.
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261203002001_Connectors")]
public sealed class Connectors : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("""
            CREATE TABLE connectors (
                id uuid PRIMARY KEY,
                workspace text NOT NULL REFERENCES workspaces (id),
                name text COLLATE "C" NOT NULL,
                description text,
                latest_version integer NOT NULL,
                deleted_at timestamptz,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                UNIQUE (workspace, name)
            );

            CREATE TABLE connector_versions (
                connector_id uuid NOT NULL REFERENCES connectors (id),
                version integer NOT NULL,
                workspace text NOT NULL,
                document jsonb NOT NULL,
                source text NOT NULL,
                source_format text NOT NULL,
                created_at timestamptz NOT NULL,
                created_by text,
                PRIMARY KEY (connector_id, version)
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE connector_versions; DROP TABLE connectors;");
    }
}
