using Quartz;

namespace Flowkit.Definitions.Validation;

/// <summary>How often a cron expression fires, for the minimum-interval quota.</summary>
internal static class CronIntervals
{
    /// <summary>Firings looked at: enough to see the pattern of any expression, few enough to cost well under a millisecond.</summary>
    internal const int Firings = 200;

    /// <summary>
    /// The shortest gap between consecutive firings among the first <see cref="Firings"/> after 1970 (null when it
    /// fires less than twice). A cron expression is a product of its fields, so the gaps of its first firings repeat
    /// later: an expression that fires every second on one day of 2031 shows it in its first firings, because the
    /// search jumps from firing to firing, not through time. A fixed start keeps the answer the same on every call.
    /// </summary>
    public static TimeSpan? Shortest(CronExpression cron)
    {
        TimeSpan? shortest = null;
        var previous = cron.GetNextValidTimeAfter(DateTimeOffset.UnixEpoch);
        for (var i = 1; i < Firings && previous is { } from; i++)
        {
            var next = cron.GetNextValidTimeAfter(from);
            if (next is { } to && (shortest is null || to - from < shortest))
            {
                shortest = to - from;
            }

            previous = next;
        }

        return shortest;
    }
}
