using Flowkit.Api.Ingress;
using Flowkit.Api.Triggers;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace Flowkit.Api.Cron;

/// <summary>
/// Runs the Quartz scheduler of the <c>scheduler</c> role and keeps its cron triggers equal to the cron triggers of
/// the latest version of every live workflow: every <see cref="SchedulerOptions.ReconcileInterval"/> and whenever
/// <see cref="CronSignal"/> is raised, it reads (id, latest version) of live workflows with a cron trigger, compiles
/// new versions once (<see cref="TriggerCatalog"/>) and, only when that set changed, adds, replaces and removes
/// Quartz triggers. Every node does the same from the same data, each step is idempotent, so nodes converge.
/// The scheduler starts once the schema is there (migrations may still be running when the process starts).
/// </summary>
internal sealed class CronReconciler(
    ISchedulerFactory schedulers,
    IServiceScopeFactory scopes,
    TriggerCatalog catalog,
    CronSignal signal,
    IOptions<SchedulerOptions> options,
    ILogger<CronReconciler> logger) : BackgroundService
{
    private IScheduler? _scheduler;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_scheduler is { } scheduler)
        {
            // Let a fire that is committing its run finish; its node is leaving the cluster cleanly.
            await scheduler.Shutdown(waitForJobsToComplete: true, CancellationToken.None);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ReconcileInterval;
        var scheduler = await StartSchedulerAsync(interval, stoppingToken);
        if (scheduler is null)
        {
            return;
        }

        Dictionary<TriggerKey, DesiredCron>? applied = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var desired = await DesiredAsync(stoppingToken);
                if (applied is null || !Same(applied, desired))
                {
                    await ApplyAsync(scheduler, desired, stoppingToken);
                    applied = desired;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.CronReconcileFailed(logger, ex);
                applied = null;
            }

            try
            {
                await signal.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<IScheduler?> StartSchedulerAsync(TimeSpan retry, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var scheduler = await schedulers.GetScheduler(stoppingToken);
                var job = JobBuilder.Create<CronFireJob>()
                    .WithIdentity(CronTriggers.Job)
                    .WithDescription("Starts a run for a workflow's cron trigger")
                    .StoreDurably()
                    .RequestRecovery()
                    .Build();
                await scheduler.AddJob(job, new AddJobOptions { Replace = true }, stoppingToken);
                await scheduler.Start(stoppingToken);
                _scheduler = scheduler;
                Log.SchedulerStarted(logger, scheduler.SchedulerInstanceId);
                return scheduler;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                Log.SchedulerStartFailed(logger, ex);
                try
                {
                    await signal.WaitAsync(retry, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private async Task<Dictionary<TriggerKey, DesiredCron>> DesiredAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var live = await db.Database.SqlQuery<LiveWorkflow>($$"""
            SELECT w.id AS "Id", w.workspace AS "Workspace", w.latest_version AS "Version"
            FROM workflows w
            JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.latest_version
            WHERE w.archived_at IS NULL AND v.definition -> 'triggers' @> '[{"cron": {} }]'::jsonb
            """).ToListAsync(cancellationToken);
        var desired = new Dictionary<TriggerKey, DesiredCron>();
        foreach (var workflow in live)
        {
            var triggers = await catalog.GetAsync(db, workflow.Id, workflow.Version, cancellationToken);
            for (var index = 0; index < triggers.Count; index++)
            {
                if (triggers[index] is CronTrigger cron)
                {
                    var entry = new DesiredCron(workflow.Workspace, workflow.Id, index, cron.Expression, cron.TimeZone, cron.Misfire);
                    desired[entry.Key] = entry;
                }
            }
        }

        return desired;
    }

    private async Task ApplyAsync(IScheduler scheduler, Dictionary<TriggerKey, DesiredCron> desired, CancellationToken cancellationToken)
    {
        int added = 0, changed = 0, removed = 0;
        var existing = await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(CronTriggers.Group), cancellationToken);
        foreach (var key in existing)
        {
            if (!desired.ContainsKey(key) && await scheduler.UnscheduleJob(key, cancellationToken))
            {
                removed++;
            }
        }

        foreach (var cron in desired.Values)
        {
            var stored = await scheduler.GetTrigger(cron.Key, cancellationToken);
            if (CronTriggers.Matches(stored, cron))
            {
                continue;
            }

            // Keep: another node adding the same new trigger at the same moment stores it once. Replace: a changed one.
            await scheduler.ScheduleTrigger(CronTriggers.Build(cron), stored is null ? TriggerConflict.Keep : TriggerConflict.Replace, cancellationToken);
            if (stored is null)
            {
                added++;
            }
            else
            {
                changed++;
            }
        }

        if (added + changed + removed > 0)
        {
            Log.CronReconciled(logger, added, changed, removed);
        }
    }

    private static bool Same(Dictionary<TriggerKey, DesiredCron> a, Dictionary<TriggerKey, DesiredCron> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && other == pair.Value);

    internal sealed class LiveWorkflow
    {
        public Guid Id { get; set; }

        public string Workspace { get; set; } = "";

        public int Version { get; set; }
    }
}
