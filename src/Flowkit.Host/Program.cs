using Flowkit.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddFlowkit();

var app = builder.Build();
if (args is ["migrate", ..])
{
    // `Flowkit.Host migrate`: apply the schema and exit, for the migration Job that runs before a rollout
    // (deploy/k8s, deploy/compose; docs/operations.md). Nothing else starts, so it needs only the database.
    await app.MigrateFlowkitAsync(force: true);
    return;
}

app.MapFlowkit();
await app.MigrateFlowkitAsync();
await app.RunAsync();

/// <summary>The one Flowkit executable; <c>Flowkit:Roles</c> says which roles it runs.</summary>
public partial class Program;
