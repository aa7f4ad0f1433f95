using Flowkit.Definitions.Secrets;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Flowkit.Persistence.Callbacks;

/// <summary>The run saga's callbacks (<see cref="IRunCallbacks"/>), in the message's <see cref="FlowkitDbContext"/>.</summary>
internal sealed class RunCallbacks(FlowkitDbContext db, CallbackTokens tokens, IOptions<CallbackOptions> options) : IRunCallbacks
{
    public string UrlFor(Guid runId, string stepId) => options.Value.UrlFor(tokens.Token(runId, stepId));

    public void Open(RunState run, IReadOnlyCollection<string> stepIds, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stepIds);
        foreach (var stepId in stepIds)
        {
            db.Callbacks.Add(new CallbackRow
            {
                TokenHash = CallbackTokens.Hash(tokens.Token(run.CorrelationId, stepId)),
                RunId = run.CorrelationId,
                StepId = stepId,
                Workspace = run.Workspace,
                CreatedAt = at,
            });
        }
    }

    public async Task<string?> ReceivedBodyAsync(Guid runId, string stepId, CancellationToken cancellationToken)
    {
        var bodies = await db.Callbacks.AsNoTracking()
            .Where(c => c.RunId == runId && c.StepId == stepId && c.ReceivedAt != null)
            .Select(c => c.Body)
            .ToListAsync(cancellationToken);
        return bodies.Count == 0 ? null : bodies[0] ?? "null";
    }

    public async Task<bool> TryExpireAsync(Guid runId, string stepId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await db.Callbacks
            .Where(c => c.RunId == runId && c.StepId == stepId && c.ReceivedAt == null && c.ExpiredAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ExpiredAt, at), cancellationToken) == 1;
}
