using System.Collections.Concurrent;
using System.Text.Json;
using Flowkit.Definitions;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// Compiled plans by workflow version. Versions are immutable, so a plan compiled once is good for the life of
/// the process; a run's transitions never recompile or reparse its definition.
/// </summary>
public sealed class PlanCache(DefinitionCompiler compiler)
{
    private readonly ConcurrentDictionary<(Guid WorkflowId, int Version), RunPlan> _plans = new();

    internal async ValueTask<RunPlan> GetAsync(FlowkitDbContext db, Guid workflowId, int version, CancellationToken cancellationToken)
    {
        if (_plans.TryGetValue((workflowId, version), out var plan))
        {
            return plan;
        }

        var definition = await db.WorkflowVersions
            .Where(v => v.WorkflowId == workflowId && v.Version == version)
            .Select(v => v.Definition)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Workflow {workflowId} has no version {version}.");

        using var document = JsonDocument.Parse(definition);
        var compilation = compiler.Compile(document.RootElement);
        plan = compilation.Plan ?? throw new InvalidOperationException(
            $"Stored version {version} of workflow {workflowId} no longer compiles: {string.Join("; ", compilation.Errors.Select(e => $"{e.Path}: {e.Message}"))}");
        return _plans.GetOrAdd((workflowId, version), plan);
    }
}
