namespace Flowkit.Persistence.Runs;

/// <summary>
/// The deduplication record of a run request (<c>run_requests</c>): one row per (workspace, scope, key), written
/// in the same transaction as the run it started. The primary key is the arbiter: a second request with the same
/// key can never start a second run, whatever a cache said.
/// </summary>
public sealed class RunRequestRow
{
    public string Workspace { get; set; } = "";

    /// <summary>Where the key is unique: <c>workflow:{id}</c> for manual runs, <c>hook:{key}</c>, <c>cron:{trigger}</c>.</summary>
    public string Scope { get; set; } = "";

    public string Key { get; set; } = "";

    public Guid RunId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A run waiting for one of its workflow's concurrency slots (<c>run_queue</c>), in creation order.</summary>
public sealed class RunQueueRow
{
    public Guid RunId { get; set; }

    public Guid WorkflowId { get; set; }

    public DateTimeOffset EnqueuedAt { get; set; }

    /// <summary>A finishing run gave this run its slot; the run takes it when its StartRun arrives.</summary>
    public bool HandedOver { get; set; }
}
