using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Flowkit.Api;

/// <summary>A page of a list: its items and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Opaque keyset cursors (time and id of the last item) shared by every list endpoint.</summary>
internal static class Page
{
    public const int MaxLimit = 500;
    public const int DefaultLimit = 50;

    /// <summary>The page size asked for (default 50), or the 422 problem when it is out of range.</summary>
    public static ProblemHttpResult? CheckLimit(int? limit, out int size)
    {
        size = limit ?? DefaultLimit;
        return size is < 1 or > MaxLimit
            ? Problems.Problems.Validation("query.limit", $"limit must be between 1 and {MaxLimit}.")
            : null;
    }

    /// <summary>The 422 problem for a cursor this API did not give out.</summary>
    public static ProblemHttpResult BadCursor() =>
        Problems.Problems.Validation("query.cursor", "The cursor is not one this API gave out. Start again without it.");

    /// <summary>A cursor over a text key (a name, a version number) for lists ordered by that key.</summary>
    public static string WriteKeyCursor(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("k:" + key));

    public static bool TryReadKeyCursor(string cursor, out string key)
    {
        key = "";
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.StartsWith("k:", StringComparison.Ordinal) && text.Length > 2)
            {
                key = text[2..];
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }

    public static string WriteCursor(DateTimeOffset at, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{at.UtcTicks}:{id:N}")));

    public static bool TryReadCursor(string cursor, out (DateTimeOffset At, Guid Id) value)
    {
        value = default;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && Guid.TryParseExact(parts[1], "N", out var id)
                && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                value = (new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
