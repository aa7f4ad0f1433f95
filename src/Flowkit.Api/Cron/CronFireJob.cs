using System.Globalization;
using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Api.Triggers;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Flowkit.Api.Cron;

/// <summary>
/// One cron fire: starts a run of the workflow's latest version through <see cref="RunLauncher"/>, keyed by
/// (trigger, scheduled fire time): scope <c>cron:{workflowId}:{index}</c>, key the scheduled time in ISO 8601 UTC.
/// Quartz's cluster lock makes one node fire each time; the key makes it harmless if two ever do (a recovered fire
/// after a node crash, a restart mid-fire): the second finds the first's run. The run input says when the fire was
/// scheduled and when it happened: <c>{scheduledAt, firedAt, trigger}</c>.
/// </summary>
internal sealed class CronFireJob(IServiceScopeFactory scopes, TriggerCatalog catalog, IngressMetrics metrics, ILogger<CronFireJob> logger) : IJob
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.MergedJobDataMap;
        var workflowId = Guid.Parse(data.GetString(CronTriggers.WorkflowKey)!);
        var index = int.Parse(data.GetString(CronTriggers.IndexKey)!, CultureInfo.InvariantCulture);
        var expression = data.GetString(CronTriggers.ExpressionKey)!;
        var timeZone = data.GetString(CronTriggers.TimeZoneKey) is { Length: > 0 } zone ? zone : null;
        var scheduledAt = ScheduledAt(context);
        var firedAt = context.FireTimeUtc;
        var name = $"{workflowId:N}.{index}";

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var workflow = await db.Workflows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == workflowId, cancellationToken);
        if (workflow is null || workflow.ArchivedAt is not null)
        {
            Log.CronStale(logger, name, workflowId);
            return;
        }

        // The reconciler follows versions within seconds; until it has, a fire checks it is still what the latest says.
        var triggers = await catalog.GetAsync(db, workflowId, workflow.LatestVersion, cancellationToken);
        if (index >= triggers.Count || triggers[index] is not CronTrigger cron
            || !string.Equals(cron.Expression, expression, StringComparison.Ordinal) || !string.Equals(cron.TimeZone, timeZone, StringComparison.Ordinal))
        {
            Log.CronStale(logger, name, workflowId);
            return;
        }

        if (cron.Misfire == CronMisfire.FireAll && !CronCatchUp.WithinLimit(cron, scheduledAt, firedAt, cron.MisfireLimit))
        {
            // Quartz fires every missed time of a fireAll trigger; only the latest misfireLimit of them start runs.
            Log.CronMisfireOverLimit(logger, name, workflowId, scheduledAt, cron.MisfireLimit);
            return;
        }

        var input = JsonSerializer.Serialize(new
        {
            scheduledAt,
            firedAt,
            trigger = new { type = "cron", index, expression, timezone = timeZone ?? "UTC" },
        }, Json);
        var launcher = scope.ServiceProvider.GetRequiredService<RunLauncher>();

        // Not cancelled by a shutdown: a commit that has begun completes; a fire cut off before it is recovered.
        var launched = await launcher.StartAsync(
            workflow, workflow.LatestVersion, input, $"cron:{workflowId}:{index}", FireKey(scheduledAt),
            new LaunchOptions(RequireLatest: true), CancellationToken.None);
        if (launched.Stale)
        {
            // Archived or changed between the check above and the insert: the insert refused; no run.
            Log.CronStale(logger, name, workflowId);
            return;
        }

        if (launched.OverQuota)
        {
            // Not lost silently: the fire is logged as refused (and counted), and the next fire tries again.
            Log.CronOverQuota(logger, name, workflowId, scheduledAt, workflow.Workspace);
            metrics.OverQuota("cron");
            return;
        }

        Log.CronFired(logger, name, workflowId, scheduledAt, launched.RunId, launched.Duplicate);
    }

    /// <summary>The deduplication key of a fire: its scheduled time, ISO 8601 UTC to the millisecond.</summary>
    public static string FireKey(DateTimeOffset scheduledAt) =>
        scheduledAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ScheduledAt(IJobExecutionContext context)
    {
        // A fire recovered after its node died runs under a recovery trigger; the original scheduled time keeps the key.
        if (context.Recovering && context.MergedJobDataMap.TryGetValue(SchedulerConstants.FailedJobOriginalTriggerScheduledFireTime, out var original))
        {
            switch (original)
            {
                case DateTimeOffset time:
                    return time;
                case long milliseconds:
                    return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
                case string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var milliseconds):
                    return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
                case string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time):
                    return time;
            }
        }

        return context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
    }
}
