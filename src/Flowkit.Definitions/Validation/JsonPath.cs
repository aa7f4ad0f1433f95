using System.Text.RegularExpressions;

namespace Flowkit.Definitions.Validation;

/// <summary>JSON paths for error messages: <c>$.steps[2].with.url</c>, <c>$.steps[0].with.headers['X-Id']</c>.</summary>
internal static partial class JsonPath
{
    public const string Root = "$";

    public static string Property(string parent, string name) => SimpleName().IsMatch(name)
        ? parent + "." + name
        : parent + "['" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "']";

    public static string Item(string parent, int index) => parent + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    [GeneratedRegex("^[A-Za-z_$][A-Za-z0-9_$]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SimpleName();
}
