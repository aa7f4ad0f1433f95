using System.Buffers.Text;
using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

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

    /// <summary>A cursor over a position (a sequence number, a step's index) for lists in ascending order of it.</summary>
    public static string WritePositionCursor(long position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"p:{position}")));

    public static bool TryReadPositionCursor(string cursor, out long position)
    {
        position = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith("p:", StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out position);
        }
        catch (FormatException)
        {
            return false;
        }
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

    /// <summary>
    /// One page of a newest-first list keyed by (time, id): the rows after <paramref name="cursor"/>, and the cursor of
    /// the next page. Null when the cursor is not one this API gave out.
    /// </summary>
    public static async Task<Page<TItem>?> NewestFirstAsync<TRow, TItem>(
        IQueryable<TRow> query,
        Expression<Func<TRow, DateTimeOffset>> at,
        Expression<Func<TRow, Guid>> id,
        string? cursor,
        int size,
        Func<TRow, TItem> map,
        CancellationToken cancellationToken)
    {
        if (cursor is not null)
        {
            if (!TryReadCursor(cursor, out var after))
            {
                return null;
            }

            query = query.Where(Before(at, id, after.At, after.Id));
        }

        var rows = await query.OrderByDescending(at).ThenByDescending(id).Take(size + 1).ToListAsync(cancellationToken);
        var atOf = at.Compile();
        var idOf = id.Compile();
        var next = rows.Count > size ? WriteCursor(atOf(rows[size - 1]), idOf(rows[size - 1])) : null;
        return new Page<TItem>(rows.Take(size).Select(map).ToArray(), next);
    }

    /// <summary><c>row => at(row) &lt; time || (at(row) == time &amp;&amp; id(row).CompareTo(key) &lt; 0)</c>, for EF to translate.</summary>
    private static Expression<Func<TRow, bool>> Before<TRow>(
        Expression<Func<TRow, DateTimeOffset>> at, Expression<Func<TRow, Guid>> id, DateTimeOffset time, Guid key)
    {
        var row = at.Parameters[0];
        var atBody = at.Body;
        var idBody = new Rebind(id.Parameters[0], row).Visit(id.Body);
        var bound = Expression.Constant(new Bound(time, key));
        var timeValue = Expression.Property(bound, nameof(Bound.Time));
        var keyValue = Expression.Property(bound, nameof(Bound.Key));
        var compare = Expression.Call(idBody, typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!, keyValue);
        var body = Expression.OrElse(
            Expression.LessThan(atBody, timeValue),
            Expression.AndAlso(Expression.Equal(atBody, timeValue), Expression.LessThan(compare, Expression.Constant(0))));
        return Expression.Lambda<Func<TRow, bool>>(body, row);
    }

    /// <summary>Holds the cursor's values so EF sends them as parameters, not literals.</summary>
    private sealed record Bound(DateTimeOffset Time, Guid Key);

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
