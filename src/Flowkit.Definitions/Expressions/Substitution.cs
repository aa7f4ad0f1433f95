using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// The <c>$</c> patterns of a replacement string (ECMAScript GetSubstitution: <c>$$</c>, <c>$&amp;</c>, <c>$`</c>,
/// <c>$'</c>, <c>$n</c>, <c>$nn</c>, <c>$&lt;name&gt;</c>), expanded from the arguments a replace callback receives:
/// the match, the captures, the position, the whole text and, with named groups, the groups object.
/// </summary>
internal static class Substitution
{
    public static string Expand(string pattern, JsValue[] args)
    {
        var groups = args.Length > 0 && args[^1] is ObjectInstance g ? g : null;
        var tail = groups is null ? 2 : 3;
        var matched = TypeConverter.ToString(args[0]);
        var position = (int)TypeConverter.ToIntegerOrInfinity(args[^tail]);
        var text = TypeConverter.ToString(args[^(tail - 1)]);
        var captures = args.Length - tail - 1;
        var result = new StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c != '$' || i + 1 == pattern.Length)
            {
                result.Append(c);
                continue;
            }

            var next = pattern[i + 1];
            switch (next)
            {
                case '$':
                    result.Append('$');
                    i++;
                    break;
                case '&':
                    result.Append(matched);
                    i++;
                    break;
                case '`':
                    result.Append(text.AsSpan(0, Math.Clamp(position, 0, text.Length)));
                    i++;
                    break;
                case '\'':
                    var after = Math.Clamp(position + matched.Length, 0, text.Length);
                    result.Append(text.AsSpan(after));
                    i++;
                    break;
                case >= '0' and <= '9':
                    var one = next - '0';
                    var two = i + 2 < pattern.Length && char.IsAsciiDigit(pattern[i + 2]) ? (one * 10) + (pattern[i + 2] - '0') : -1;
                    if (two >= 1 && two <= captures)
                    {
                        AppendCapture(result, args[two]);
                        i += 2;
                    }
                    else if (one >= 1 && one <= captures)
                    {
                        AppendCapture(result, args[one]);
                        i++;
                    }
                    else
                    {
                        result.Append('$');
                    }

                    break;
                case '<' when groups is not null:
                    var close = pattern.IndexOf('>', i + 2);
                    if (close < 0)
                    {
                        result.Append('$');
                        break;
                    }

                    AppendCapture(result, groups.Get(pattern[(i + 2)..close]));
                    i = close;
                    break;
                default:
                    result.Append('$');
                    break;
            }
        }

        return result.ToString();
    }

    private static void AppendCapture(StringBuilder result, JsValue capture)
    {
        if (!capture.IsUndefined())
        {
            result.Append(TypeConverter.ToString(capture));
        }
    }
}
