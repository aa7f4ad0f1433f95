using System.Text.Json;
using Flowkit.Definitions;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// Compiled plans by workflow version. Versions are immutable, so a cached plan never goes stale and a run's
/// transitions never recompile or reparse its definition. The cache holds at most
/// <see cref="EngineOptions.PlanCacheSize"/> plans (each counts 1); past that the least recently used are dropped and
/// compiled again when needed, so memory does not grow with the number of versions ever run.
/// </summary>
public sealed class PlanCache(DefinitionCompiler compiler, IOptions<EngineOptions> options) : IDisposable
{
    private readonly MemoryCache _plans = new(new MemoryCacheOptions { SizeLimit = options.Value.PlanCacheSize });

    /// <summary>Plans held now (for tests and diagnostics).</summary>
    public int Count => _plans.Count;

    public void Dispose() => _plans.Dispose();

    internal async ValueTask<RunPlan> GetAsync(FlowkitDbContext db, Guid workflowId, int version, CancellationToken cancellationToken)
    {
        var key = (workflowId, version);
        if (_plans.TryGetValue(key, out RunPlan? cached) && cached is not null)
        {
            return cached;
        }

        var definition = await db.WorkflowVersions
            .Where(v => v.WorkflowId == workflowId && v.Version == version)
            .Select(v => v.Definition)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Workflow {workflowId} has no version {version}.");

        using var document = JsonDocument.Parse(definition);
        var compilation = compiler.Compile(document.RootElement);
        var plan = compilation.Plan ?? throw new InvalidOperationException(
            $"Stored version {version} of workflow {workflowId} no longer compiles: {string.Join("; ", compilation.Errors.Select(e => $"{e.Path}: {e.Message}"))}");
        return _plans.Set(key, plan, new MemoryCacheEntryOptions { Size = 1 });
    }
}
