using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flowkit.Definitions;

/// <summary>
/// The secret names a step's settings read (<c>secrets.name</c> or <c>secrets["name"]</c> inside templates and
/// scripts), so the engine sends exactly those, sealed, with the step. Over-matching only sends a sealed value
/// the step does not use; it never exposes one.
/// </summary>
internal static partial class SecretReferences
{
    public static IReadOnlyList<string> Find(JsonElement spec)
    {
        var text = spec.GetRawText();
        if (!text.Contains("secrets", StringComparison.Ordinal))
        {
            return [];
        }

        return Pattern().Matches(text)
            .Select(m => m.Groups["dot"].Success ? m.Groups["dot"].Value : m.Groups["index"].Value)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    [GeneratedRegex("""\bsecrets\s*(?:\.\s*(?<dot>[A-Za-z_$][A-Za-z0-9_$]*)|\[\s*\\?["'](?<index>[^"'\\]+)\\?["']\s*\])""")]
    private static partial Regex Pattern();
}
