using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Flowkit.Definitions;

/// <summary>
/// Durations as definitions write them: a whole number and a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>),
/// units from largest to smallest, each at most once: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>24h</c>, <c>7d</c>, <c>1h30m</c>.
/// The engine reads a delay step's <c>for</c> from <see cref="Sagas.Planning.PlanStep.Spec"/> with <see cref="TryParse"/>.
/// </summary>
public static partial class Durations
{
    internal const string Help = "Write a whole number followed by a unit (ms, s, m, h or d), like 500ms, 30s, 10m, 24h, 7d or 1h30m.";

    /// <summary>Reads a duration; true also for <c>0s</c> (callers decide whether zero is allowed).</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = TimeSpan.Zero;
        var match = Pattern().Match(text);
        if (!match.Success || match.Length == 0)
        {
            return false;
        }

        try
        {
            var total = TimeSpan.Zero;
            total += Part(match, "d", TimeSpan.FromDays);
            total += Part(match, "h", TimeSpan.FromHours);
            total += Part(match, "m", TimeSpan.FromMinutes);
            total += Part(match, "s", TimeSpan.FromSeconds);
            total += Part(match, "ms", TimeSpan.FromMilliseconds);
            duration = total;
            return true;
        }
        catch (OverflowException)
        {
            duration = TimeSpan.MaxValue;
            return true;
        }
    }

    /// <summary>The shortest text <see cref="TryParse"/> reads back as <paramref name="duration"/>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        Append(text, duration.Days, "d");
        Append(text, duration.Hours, "h");
        Append(text, duration.Minutes, "m");
        Append(text, duration.Seconds, "s");
        Append(text, duration.Milliseconds, "ms");
        return text.ToString();
    }

    private static void Append(StringBuilder text, int value, string unit)
    {
        if (value > 0)
        {
            text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }

    private static TimeSpan Part(Match match, string unit, Func<double, TimeSpan> make)
    {
        var group = match.Groups[unit == "ms" ? "ms" : unit];
        if (!group.Success)
        {
            return TimeSpan.Zero;
        }

        // Nine digits at most (the pattern says so): no duration here needs more, and it cannot overflow a long.
        return make(long.Parse(group.Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,9})d)?(?:(?<h>\d{1,9})h)?(?:(?<m>\d{1,9})m(?!s))?(?:(?<s>\d{1,9})s)?(?:(?<ms>\d{1,9})ms)?$", RegexOptions.CultureInvariant)]
    internal static partial Regex Pattern();
}
