using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Secrets;

/// <summary>A secret's name and times; never its value.</summary>
public sealed record SecretInfo(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Secrets in PostgreSQL, sealed. The API writes them; the engine reads the sealed values a step needs when it
/// dispatches the step (<see cref="GetSealedSecretsAsync"/>), so values stay sealed in the database, the outbox and
/// RabbitMQ, and are opened only on the worker that runs the step. Scoped, on the request's or message's
/// <see cref="FlowkitDbContext"/>.
/// </summary>
public sealed class SecretStore(FlowkitDbContext db)
{
    /// <summary>
    /// The sealed values of the named secrets of <paramref name="workspace"/>, by name; names with no secret are
    /// absent. No query when <paramref name="names"/> is empty (most steps read no secret).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> GetSealedSecretsAsync(
        string workspace, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        var wanted = names.Distinct(StringComparer.Ordinal).ToArray();
        return await db.Secrets.AsNoTracking()
            .Where(s => s.Workspace == workspace && wanted.Contains(s.Name))
            .ToDictionaryAsync(s => s.Name, s => s.SealedValue, StringComparer.Ordinal, cancellationToken);
    }

    /// <summary>Creates or replaces a secret in one statement (concurrent writers of one name: the last one wins).</summary>
    public async Task PutAsync(string workspace, string name, string sealedValue, DateTimeOffset now, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO secrets (workspace, name, sealed_value, created_at, updated_at)
            VALUES ({workspace}, {name}, {sealedValue}, {now}, {now})
            ON CONFLICT (workspace, name) DO UPDATE SET sealed_value = EXCLUDED.sealed_value, updated_at = EXCLUDED.updated_at
            """,
            cancellationToken);

    /// <summary>Removes a secret; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string workspace, string name, CancellationToken cancellationToken) =>
        await db.Secrets.Where(s => s.Workspace == workspace && s.Name == name).ExecuteDeleteAsync(cancellationToken) > 0;

    /// <summary>Up to <paramref name="limit"/> secrets of the workspace in name order, after <paramref name="after"/> when given.</summary>
    public async Task<IReadOnlyList<SecretInfo>> ListAsync(string workspace, string? after, int limit, CancellationToken cancellationToken)
    {
        var query = db.Secrets.AsNoTracking().Where(s => s.Workspace == workspace);
        if (after is not null)
        {
            // Ordinal order, as the primary key's collation "C" would give; names are ASCII by their pattern.
            query = query.Where(s => string.Compare(s.Name, after) > 0);
        }

        return await query.OrderBy(s => s.Name)
            .Take(limit)
            .Select(s => new SecretInfo(s.Name, s.CreatedAt, s.UpdatedAt))
            .ToListAsync(cancellationToken);
    }
}
