using Flowkit.Definitions.Subscriptions;
using Flowkit.Hub.Delivery;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Hub.Destinations;

/// <summary>
/// <c>workflow</c>: starts a run of another workflow of the same workspace with the event as its input, through
/// <see cref="RunLauncher"/> like every trigger. The delivery id is the request key, so a repeated attempt finds the
/// run it started instead of starting a second one.
/// </summary>
internal sealed class WorkflowSender(FlowkitDbContext db, RunLauncher launcher) : IDestinationSender
{
    /// <summary>The request-key scope of runs the hub starts (<c>run_requests.scope</c>).</summary>
    public const string Scope = "hub";

    public string Kind => DestinationTypes.Workflow;

    public async Task<string> SendAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = request.Destination.Workflow!;
        var workspace = request.Delivery.Workspace;
        var workflow = await db.Workflows.AsNoTracking()
            .SingleOrDefaultAsync(w => w.Workspace == workspace && w.Name == name && w.ArchivedAt == null, cancellationToken)
            ?? throw new DeliveryFailedException($"There is no workflow named '{name}' (or it is archived). Create it, then redrive.", retryable: false);

        var launched = await launcher.StartAsync(
            workflow, workflow.LatestVersion, request.Event.GetRawText(), Scope, request.Delivery.Id.ToString("N"), new LaunchOptions(RequireLatest: true), cancellationToken);
        if (launched.OverQuota)
        {
            throw new DeliveryFailedException("The workspace has as many runs in flight as its quota allows; the run will be started on a later attempt.", retryable: true);
        }

        if (launched.Stale)
        {
            throw new DeliveryFailedException($"The workflow '{name}' changed while the run was being started; it is started on the next attempt.", retryable: true);
        }

        return launched.Duplicate ? $"run {launched.RunId} (started by an earlier attempt)" : $"run {launched.RunId}";
    }
}
