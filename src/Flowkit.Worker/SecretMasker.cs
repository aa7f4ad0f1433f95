using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Secrets;

namespace Flowkit.Worker;

/// <summary>
/// Replaces every secret value of one step attempt with <c>***</c> in its output and error before they leave the
/// worker. For each value (and each line of a multi-line value) it recognises, in decoded JSON strings, property
/// names and numbers: the value in any letter case, spaced out or split by punctuation (<c>s e c r e t</c>,
/// <c>s,e,c,r,e,t</c>), reversed, URL- and form-encoded, hex of its UTF-8 bytes (also <c>%73%65</c>, <c>\x73</c>,
/// <c>73:65</c>), its character codes as a list of numbers, and base64 (standard and URL-safe, also inside a longer
/// base64 text). An array of strings or numbers whose items together spell one of these forms has every item masked.
/// This stops accidents and casual echoing; it cannot stop an author who means to smuggle a value out (hashing,
/// encrypting, one character per step): docs/security.md says an author who may edit a workflow is trusted with the
/// secrets it names.
/// </summary>
internal sealed class SecretMasker
{
    public const string Mask = "***";

    // Between the units of a spaced-out form: whitespace, punctuation and quotes, up to four characters (", ").
    private const string Gap = @"[\s,;:._|/\\'""+\-\[\]]{0,4}";
    private const string RequiredGap = @"[\s,;:._|/\\'""+\-\[\]]{1,4}";

    // Longer values (keys, certificates) are matched as they are, URL-encoded and in base64, not spelled out.
    private const int MaxSpelledLength = 256;

    // Base64 fragments shorter than this would match random base64 text too often.
    private const int MinBase64Fragment = 6;

    // The patterns are linear-time (NonBacktracking), so no input can make masking slow; the timeout is a backstop.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    private readonly Regex? _text;
    private readonly Regex? _base64;

    public SecretMasker(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var textForms = new List<(int Length, string Pattern)>();
        var base64Forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values.SelectMany(Lines).Distinct(StringComparer.Ordinal))
        {
            AddForms(value, textForms, base64Forms);
        }

        if (textForms.Count > 0)
        {
            // Longest first, so a value that contains another is replaced whole.
            var alternatives = textForms.OrderByDescending(f => f.Length).ThenBy(f => f.Pattern, StringComparer.Ordinal).Select(f => f.Pattern).Distinct();
            _text = new Regex(
                string.Join('|', alternatives),
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking,
                MatchTimeout);
        }

        if (base64Forms.Count > 0)
        {
            _base64 = new Regex(
                string.Join('|', base64Forms.OrderByDescending(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).Select(Regex.Escape)),
                RegexOptions.CultureInvariant | RegexOptions.NonBacktracking,
                MatchTimeout);
        }
    }

    public static SecretMasker None { get; } = new([]);

    public bool IsEmpty => _text is null && _base64 is null;

    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsEmpty || text.Length == 0)
        {
            return text;
        }

        text = _base64?.Replace(text, Mask) ?? text;
        return _text?.Replace(text, Mask) ?? text;
    }

    public JsonNode? Apply(JsonNode? node)
    {
        if (IsEmpty || node is null)
        {
            return node;
        }

        switch (node)
        {
            case JsonObject obj:
                var masked = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    var key = Apply(name);
                    // Two names that mask alike keep both values (the later one is suffixed) instead of throwing.
                    var unique = key;
                    for (var i = 2; masked.ContainsKey(unique); i++)
                    {
                        unique = $"{key}_{i}";
                    }

                    masked[unique] = Apply(value);
                }

                return masked;
            case JsonArray array:
                // Always new nodes: a node cannot have two parents, and the input stays as it was.
                var copy = new JsonArray();
                foreach (var item in array)
                {
                    copy.Add(Apply(item));
                }

                // Items that spell a secret only together ("s","e","c" or 115,101,99) are all masked.
                if (SpellsASecret(copy))
                {
                    for (var i = 0; i < copy.Count; i++)
                    {
                        copy[i] = JsonValue.Create(Mask);
                    }
                }

                return copy;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                var replaced = Apply(text);
                return JsonValue.Create(replaced);
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                // A numeric secret (a PIN, an account number) returned as a number becomes the masked text.
                var raw = value.ToJsonString();
                var maskedNumber = Apply(raw);
                return maskedNumber == raw ? JsonNode.Parse(raw) : JsonValue.Create(maskedNumber);
            default:
                return node.DeepClone();
        }
    }

    // Called on items already masked one by one, so a match in their joined text spans several items.
    private bool SpellsASecret(JsonArray array)
    {
        if (array.Count < 2 || array.Any(item => item is not JsonValue v || v.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number)))
        {
            return false;
        }

        var joined = string.Join(",", array.Select(item => item!.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : item.ToJsonString()));
        return Apply(joined) != joined;
    }

    private static IEnumerable<string> Lines(string value)
    {
        yield return value;
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            foreach (var line in value.Split('\n'))
            {
                yield return line.TrimEnd('\r');
            }
        }
    }

    private static void AddForms(string value, List<(int Length, string Pattern)> textForms, HashSet<string> base64Forms)
    {
        if (value.Trim().Length < SecretNames.MinValueLength)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        textForms.Add((value.Length, Regex.Escape(value)));
        textForms.Add((value.Length, Regex.Escape(Uri.EscapeDataString(value))));
        textForms.Add((value.Length, Regex.Escape(WebUtility.UrlEncode(value))));
        if (value.Length <= MaxSpelledLength)
        {
            textForms.Add((value.Length, string.Join(Gap, value.Select(c => Regex.Escape(c.ToString())))));
            textForms.Add((value.Length, string.Join(Gap, value.Reverse().Select(c => Regex.Escape(c.ToString())))));
            // Hex of each UTF-8 byte, with or without a prefix per byte (%73, \x73, 0x73) and separators.
            textForms.Add((bytes.Length * 2, string.Join(Gap, bytes.Select(b => @"(?:%|\\x|0x|\\u00)?" + b.ToString("x2", CultureInfo.InvariantCulture)))));
            // Character codes as decimal numbers, separated (115,101,99 or 115 101 99).
            textForms.Add((value.Length * 2, string.Join(RequiredGap, value.Select(c => ((int)c).ToString(CultureInfo.InvariantCulture)))));
        }

        for (var offset = 0; offset < 3; offset++)
        {
            // The characters of base64(prefix + value) that depend only on the value's bytes: they appear in any
            // base64 text that contains the value at that offset modulo 3.
            var shifted = new byte[offset + bytes.Length];
            bytes.CopyTo(shifted, offset);
            var encoded = Convert.ToBase64String(shifted);
            var start = ((8 * offset) + 5) / 6;
            var end = 8 * (offset + bytes.Length) / 6;
            if (end - start >= MinBase64Fragment)
            {
                var fragment = encoded[start..end];
                base64Forms.Add(fragment);
                base64Forms.Add(fragment.Replace('+', '-').Replace('/', '_'));
            }
        }
    }
}
