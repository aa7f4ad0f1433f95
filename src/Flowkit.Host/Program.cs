using Flowkit.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddFlowkit();

var app = builder.Build();
app.MapFlowkit();
await app.MigrateFlowkitAsync();
await app.RunAsync();

/// <summary>The one Flowkit executable; <c>Flowkit:Roles</c> says which roles it runs.</summary>
public partial class Program;
