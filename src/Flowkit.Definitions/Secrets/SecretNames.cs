using System.Text.RegularExpressions;

namespace Flowkit.Definitions.Secrets;

/// <summary>
/// What a secret may be called. Names are read in expressions as <c>secrets.name</c>, so they are JavaScript
/// identifiers: a letter or underscore, then letters, digits or underscores, at most 64 in all.
/// </summary>
public static partial class SecretNames
{
    public const string Pattern = "^[A-Za-z_][A-Za-z0-9_]{0,63}$";

    /// <summary>Values shorter than this cannot be masked in outputs without mangling ordinary text.</summary>
    public const int MinValueLength = 3;

    /// <summary>The largest value accepted (characters).</summary>
    public const int MaxValueLength = 64 * 1024;

    public static bool IsValid(string? name) => name is not null && NameRegex().IsMatch(name);

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
