using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Secrets;

namespace Flowkit.Worker;

/// <summary>
/// Replaces every secret value of one step attempt with <c>***</c> in its output and error before they leave the
/// worker. Matches the exact value, each line of a multi-line value and the URL-encoded form, in decoded JSON
/// strings (so JSON escaping cannot hide a value) and in property names. A value transformed in other ways
/// (base64, hashed, split) is not recognised: docs/worker.md says so.
/// </summary>
internal sealed class SecretMasker
{
    public const string Mask = "***";

    private readonly string[] _patterns;

    public SecretMasker(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var patterns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            Add(patterns, value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                foreach (var line in value.Split('\n'))
                {
                    Add(patterns, line.TrimEnd('\r'));
                }
            }
        }

        // Longest first, so a value that contains another is replaced whole.
        _patterns = patterns.OrderByDescending(p => p.Length).ThenBy(p => p, StringComparer.Ordinal).ToArray();
    }

    public static SecretMasker None { get; } = new([]);

    public bool IsEmpty => _patterns.Length == 0;

    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var pattern in _patterns)
        {
            text = text.Replace(pattern, Mask, StringComparison.Ordinal);
        }

        return text;
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

    private static void Add(HashSet<string> patterns, string value)
    {
        if (value.Trim().Length >= SecretNames.MinValueLength)
        {
            patterns.Add(value);
            patterns.Add(Uri.EscapeDataString(value));
        }
    }
}
