using Flowkit.Definitions;
using Quartz;

namespace Flowkit.Api.Cron;

/// <summary>One cron trigger of a live workflow's latest version, as the scheduler should hold it.</summary>
internal sealed record DesiredCron(
    string Workspace, Guid WorkflowId, int Index, string Expression, string? TimeZone, CronMisfire Misfire = CronMisfire.FireOnce)
{
    public TriggerKey Key => CronTriggers.KeyOf(WorkflowId, Index);
}

/// <summary>How Flowkit's cron triggers look in Quartz: names, job data, time zone and misfire policy.</summary>
internal static class CronTriggers
{
    public const string Group = "flowkit-cron";
    public static readonly JobKey Job = new("fire-cron", "flowkit");

    public const string WorkspaceKey = "workspace";
    public const string WorkflowKey = "workflowId";
    public const string IndexKey = "index";
    public const string ExpressionKey = "expression";
    public const string TimeZoneKey = "timezone";

    public static TriggerKey KeyOf(Guid workflowId, int index) => new($"{workflowId:N}.{index}", Group);

    public static TimeZoneInfo ZoneOf(string? timeZone) => timeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);

    /// <summary>
    /// The Quartz trigger: the definition's expression in its time zone (UTC when none is given), with the trigger's
    /// misfire policy as Quartz's misfire instruction (<see cref="Misfire"/>). The job data repeats the definition so
    /// a fire can check it is still current.
    /// </summary>
    public static ITrigger Build(DesiredCron cron) =>
        TriggerBuilder.Create()
            .WithIdentity(cron.Key)
            .ForJob(Job)
            .UsingJobData(WorkspaceKey, cron.Workspace)
            .UsingJobData(WorkflowKey, cron.WorkflowId.ToString())
            .UsingJobData(IndexKey, cron.Index.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UsingJobData(ExpressionKey, cron.Expression)
            .UsingJobData(TimeZoneKey, cron.TimeZone ?? "")
            .WithSchedule(Misfire(CronScheduleBuilder.Create(cron.Expression).InTimeZone(ZoneOf(cron.TimeZone)), cron.Misfire))
            .Build();

    /// <summary>
    /// Quartz applies these once a fire is later than its misfire threshold (a scheduler down, or all nodes busy):
    /// fireOnce fires now once and resumes; skip resumes at the next fire time; fireAll fires every missed time at
    /// once, and <see cref="CronFireJob"/> keeps only the latest <see cref="CronTrigger.MisfireLimit"/> of them.
    /// </summary>
    public static CronScheduleBuilder Misfire(CronScheduleBuilder schedule, CronMisfire misfire)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return schedule.WithMisfireInstruction(InstructionOf(misfire));
    }

    public static CronTriggerMisfireInstruction InstructionOf(CronMisfire misfire) => misfire switch
    {
        CronMisfire.Skip => CronTriggerMisfireInstruction.DoNothing,
        CronMisfire.FireAll => CronTriggerMisfireInstruction.IgnoreMisfires,
        _ => CronTriggerMisfireInstruction.FireAndProceed,
    };

    /// <summary>True when the stored trigger already is what <paramref name="cron"/> asks for.</summary>
    public static bool Matches(ITrigger? stored, DesiredCron cron) =>
        stored is ICronTrigger trigger
        && string.Equals(trigger.CronExpressionString, cron.Expression, StringComparison.Ordinal)
        && string.Equals(trigger.TimeZone.Id, ZoneOf(cron.TimeZone).Id, StringComparison.Ordinal)
        && trigger.MisfireInstruction == InstructionOf(cron.Misfire);
}
