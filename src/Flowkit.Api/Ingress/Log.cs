using Microsoft.Extensions.Logging;

namespace Flowkit.Api.Ingress;

/// <summary>Log messages of webhook ingress, cron and health (event ids 1700-1799, issue 7).</summary>
internal static partial class Log
{
    [LoggerMessage(1701, LogLevel.Warning, "Redis is unavailable ({Reason}); webhook ingress continues on PostgreSQL deduplication and an in-process rate limiter (degraded)")]
    public static partial void RedisDegraded(ILogger logger, string reason);

    [LoggerMessage(1702, LogLevel.Information, "Redis is back; webhook ingress is on its fast path again")]
    public static partial void RedisRecovered(ILogger logger);

    [LoggerMessage(1703, LogLevel.Warning, "Redis call failed; this request falls back to PostgreSQL")]
    public static partial void RedisCallFailed(ILogger logger, Exception exception);

    [LoggerMessage(1704, LogLevel.Warning, "Webhook '{Hook}' of workspace '{Workspace}' names secret '{Secret}', which is not set; deliveries answer 503 until it is")]
    public static partial void HookSecretMissing(ILogger logger, string workspace, string hook, string secret);

    [LoggerMessage(1705, LogLevel.Warning, "The dedupe expression of webhook '{Hook}' failed; the delivery is deduplicated by the SHA-256 of its body instead")]
    public static partial void DedupeExpressionFailed(ILogger logger, string hook, Exception exception);

    [LoggerMessage(1706, LogLevel.Warning, "Webhook key '{Hook}' of workspace '{Workspace}' is declared by more than one live workflow; the oldest one, '{Workflow}', receives it")]
    public static partial void HookKeyAmbiguous(ILogger logger, string workspace, string hook, string workflow);

    [LoggerMessage(1707, LogLevel.Error, "A webhook delivery could not be stored (PostgreSQL unavailable?); answered 503 so the sender retries")]
    public static partial void HookStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(1708, LogLevel.Error, "The stored definition of workflow {WorkflowId} version {Version} does not compile; its triggers are ignored")]
    public static partial void DefinitionBroken(ILogger logger, Guid workflowId, int version);

    [LoggerMessage(1709, LogLevel.Information, "Pruned {Count} run request keys older than the deduplication window ({Retention})")]
    public static partial void RunRequestsPruned(ILogger logger, long count, TimeSpan retention);

    [LoggerMessage(1710, LogLevel.Warning, "Pruning run request keys failed (PostgreSQL unavailable?); retrying at the next interval")]
    public static partial void RunRequestPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(1711, LogLevel.Warning, "Workspace '{Workspace}' is at its quota of {Quota} runs in flight; a run of workflow '{Workflow}' was refused ({Trigger})")]
    public static partial void RunQuotaExceeded(ILogger logger, string workspace, long quota, string workflow, string trigger);

    [LoggerMessage(1720, LogLevel.Information, "Cron scheduler {InstanceId} started (Quartz, clustered on PostgreSQL)")]
    public static partial void SchedulerStarted(ILogger logger, string instanceId);

    [LoggerMessage(1721, LogLevel.Warning, "Cron scheduler could not start yet (schema not migrated or database down); retrying")]
    public static partial void SchedulerStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(1722, LogLevel.Information, "Cron triggers reconciled: {Added} added, {Changed} changed, {Removed} removed")]
    public static partial void CronReconciled(ILogger logger, int added, int changed, int removed);

    [LoggerMessage(1723, LogLevel.Warning, "Cron reconciliation failed; retrying at the next interval")]
    public static partial void CronReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(1724, LogLevel.Information, "Cron trigger {Trigger} of workflow {WorkflowId} fired for {ScheduledAt:O}; run {RunId} (duplicate: {Duplicate})")]
    public static partial void CronFired(ILogger logger, string trigger, Guid workflowId, DateTimeOffset scheduledAt, Guid runId, bool duplicate);

    [LoggerMessage(1725, LogLevel.Information, "Cron trigger {Trigger} of workflow {WorkflowId} fired but the workflow no longer has it (archived or changed); no run")]
    public static partial void CronStale(ILogger logger, string trigger, Guid workflowId);

    [LoggerMessage(1726, LogLevel.Warning, "Cron trigger {Trigger} of workflow {WorkflowId} fired for {ScheduledAt:O} but workspace '{Workspace}' is at its quota of runs in flight; no run for this fire")]
    public static partial void CronOverQuota(ILogger logger, string trigger, Guid workflowId, DateTimeOffset scheduledAt, string workspace);

    [LoggerMessage(1727, LogLevel.Warning, "Run {RunId} of a respond: result webhook was stored, but its result could not be read; answered 202")]
    public static partial void RunResultUnread(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(1728, LogLevel.Warning, "Cron trigger {Trigger} of workflow {WorkflowId} missed its fire at {ScheduledAt:O}, older than its misfireLimit of {Limit} latest missed fires; no run")]
    public static partial void CronMisfireOverLimit(ILogger logger, string trigger, Guid workflowId, DateTimeOffset scheduledAt, int limit);
}
