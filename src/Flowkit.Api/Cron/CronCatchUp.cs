using Flowkit.Definitions;

namespace Flowkit.Api.Cron;

/// <summary>The cap of <c>misfire: fireAll</c> (issue #18): which missed fires of a trigger may still start a run.</summary>
internal static class CronCatchUp
{
    /// <summary>
    /// True when fewer than <paramref name="limit"/> of the trigger's fire times fall after <paramref name="scheduledAt"/>
    /// and up to <paramref name="now"/>: the fire is one of the latest <paramref name="limit"/>, counting itself. An
    /// on-time fire has none after it, so it always runs.
    /// </summary>
    public static bool WithinLimit(CronTrigger cron, DateTimeOffset scheduledAt, DateTimeOffset now, int limit)
    {
        ArgumentNullException.ThrowIfNull(cron);
        var expression = new Quartz.CronExpression(cron.Expression, CronTriggers.ZoneOf(cron.TimeZone));
        var later = 0;
        var next = expression.GetNextValidTimeAfter(scheduledAt);
        while (next is { } time && time <= now)
        {
            if (++later >= limit)
            {
                return false;
            }

            next = expression.GetNextValidTimeAfter(time);
        }

        return true;
    }
}
