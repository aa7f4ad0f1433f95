using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Flowkit.Persistence.Migrations;

/// <summary>
/// Finds the workflow version that declares a webhook key without reading every definition of a workspace: a GIN
/// index over the triggers of each stored definition, queried with <c>definition -&gt; 'triggers' @&gt; '[{"webhook":
/// {"key": ...}}]'</c> (issue 7).
/// </summary>
[DbContext(typeof(FlowkitDbContext))]
[Migration("20261123000402_WebhookKeys")]
public sealed class WebhookKeys : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("CREATE INDEX ix_workflow_versions_triggers ON workflow_versions USING gin ((definition -> 'triggers') jsonb_path_ops);");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql("DROP INDEX ix_workflow_versions_triggers;");
    }
}
