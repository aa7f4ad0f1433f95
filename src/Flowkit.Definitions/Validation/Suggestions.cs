namespace Flowkit.Definitions.Validation;

/// <summary>"Did you mean ...?" for misspelled ids, types and keys.</summary>
internal static class Suggestions
{
    public static string? Closest(string wrong, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var a = wrong.ToUpperInvariant();
        foreach (var candidate in candidates)
        {
            // Never more than three edits apart (see below): lengths further apart cannot match, and cost nothing.
            if (Math.Abs(a.Length - candidate.Length) > MaxEdits)
            {
                continue;
            }

            var b = candidate.ToUpperInvariant();
            // A few edits for longer words, one for short ones; and words sharing their first four letters
            // ("retries" for "retry") are close enough when they are not much longer.
            var allowed = Math.Max(1, Math.Min(MaxEdits, candidate.Length / 3));
            if (a.Length >= 4 && b.Length >= 4 && a.AsSpan(0, 4).SequenceEqual(b.AsSpan(0, 4)))
            {
                allowed = MaxEdits;
            }

            var distance = Distance(a, b);
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>" Did you mean 'x'?" or nothing.</summary>
    public static string DidYouMean(string wrong, IEnumerable<string> candidates) =>
        Closest(wrong, candidates) is { } best ? $" Did you mean '{best}'?" : string.Empty;

    private const int MaxEdits = 3;

    /// <summary>
    /// Optimal string alignment distance (insertions, deletions, substitutions and swaps of neighbours cost 1), or
    /// <see cref="int.MaxValue"/> when it is over <see cref="MaxEdits"/>. Only the band of cells within
    /// <see cref="MaxEdits"/> of the diagonal can stay under the cut-off, so only they are computed: the cost grows
    /// with the length of the words, not its square (ids may be 64 characters and a definition has many).
    /// </summary>
    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > MaxEdits)
        {
            return int.MaxValue;
        }

        const int far = MaxEdits + 1;
        var width = b.Length + 1;
        Span<int> rows = width * 3 <= 1024 ? stackalloc int[width * 3] : new int[width * 3];
        var beforePrevious = rows[..width];
        var previous = rows.Slice(width, width);
        var current = rows.Slice(2 * width, width);
        for (var j = 0; j < width; j++)
        {
            previous[j] = Math.Min(j, far);
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current.Fill(far);
            current[0] = Math.Min(i, far);
            var rowMin = current[0];
            for (var j = Math.Max(1, i - MaxEdits); j <= Math.Min(b.Length, i + MaxEdits); j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, beforePrevious[j - 2] + 1);
                }

                current[j] = Math.Min(value, far);
                rowMin = Math.Min(rowMin, current[j]);
            }

            if (rowMin >= far)
            {
                return int.MaxValue;
            }

            var spare = beforePrevious;
            beforePrevious = previous;
            previous = current;
            current = spare;
        }

        return previous[b.Length] >= far ? int.MaxValue : previous[b.Length];
    }
}
