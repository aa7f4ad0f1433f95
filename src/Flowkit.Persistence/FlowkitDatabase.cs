using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.Persistence;

/// <summary>Applies the schema migrations (EF Core takes a database lock, so concurrent hosts migrate once).</summary>
public static class FlowkitDatabase
{
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }
}
