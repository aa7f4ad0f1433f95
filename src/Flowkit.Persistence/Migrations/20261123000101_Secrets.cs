using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>Secrets of a workspace, sealed (AES-GCM) by the API; the database never holds a value (issue 6).</summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000101_Secrets")]
public sealed class SecretsTable : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        // Names sort bytewise ("C") so paging by name is the same on every database, whatever its default collation.
        migrationBuilder.Sql("""
            CREATE TABLE secrets (
                workspace text NOT NULL REFERENCES workspaces (id),
                name text COLLATE "C" NOT NULL,
                sealed_value text NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (workspace, name)
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP TABLE secrets;");
    }
}
