using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// The settings table of docs/operations.md, generated from the options classes: every class of a Flowkit assembly
/// with a <c>const string Section</c>, each public settable property as <c>Section:Property</c>, its environment
/// variable, its default (read from a new instance) and its meaning (the property's XML documentation).
/// </summary>
internal static partial class SettingsTable
{
    public const string Begin = "<!-- settings:begin (generated from the options classes by tests/Flowkit.Deploy.Tests; do not edit by hand) -->";
    public const string End = "<!-- settings:end -->";

    /// <summary>The options classes, ordered by section.</summary>
    public static IReadOnlyList<Type> OptionsTypes() =>
        [.. Assemblies()
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && SectionOf(t) is not null)
            .OrderBy(t => SectionOf(t), StringComparer.Ordinal)];

    public static string? SectionOf(Type type) =>
        type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string s && s.StartsWith("Flowkit", StringComparison.Ordinal)
            ? s
            : null;

    public static string Generate()
    {
        var text = new StringBuilder();
        text.Append(Begin).Append('\n');
        foreach (var type in OptionsTypes())
        {
            var section = SectionOf(type)!;
            var docs = Docs(type.Assembly);
            text.Append('\n').Append("#### `").Append(section).Append("` (").Append(type.Name).Append(")\n\n");
            var summary = docs.GetValueOrDefault($"T:{type.FullName}");
            if (summary is not null)
            {
                text.Append(summary).Append("\n\n");
            }

            text.Append("| setting | environment variable | default | what it does |\n|---|---|---|---|\n");
            var instance = Activator.CreateInstance(type, nonPublic: true);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
                .OrderBy(p => p.MetadataToken))
            {
                var key = $"{section}:{property.Name}";
                text.Append("| `").Append(key).Append("` | `").Append(key.Replace(":", "__", StringComparison.Ordinal)).Append("` | ")
                    .Append(Default(property.GetValue(instance))).Append(" | ")
                    .Append(docs.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}") ?? "").Append(" |\n");
            }
        }

        text.Append('\n').Append(End);
        return text.ToString();
    }

    private static IEnumerable<Assembly> Assemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "Flowkit.*.dll")
            .Where(f => !Path.GetFileName(f).Contains("Tests", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("Flowkit.Testing", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => Assembly.LoadFrom(f));

    private static string Default(object? value) => value switch
    {
        null => "(none)",
        string s => s.Length == 0 ? "(empty)" : $"`{s}`",
        bool b => b ? "`true`" : "`false`",
        TimeSpan t => $"`{t.ToString("c", CultureInfo.InvariantCulture)}`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        IEnumerable e => $"`{string.Join(", ", e.Cast<object?>())}`",
        _ => $"`{value}`",
    };

    /// <summary>Summaries by XML doc member id, flattened to one markdown line.</summary>
    private static Dictionary<string, string> Docs(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return [];
        }

        return XDocument.Load(path).Descendants("member")
            .Where(m => m.Element("summary") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, m => Flatten(m.Element("summary")!), StringComparer.Ordinal);
    }

    private static string Flatten(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
                XElement { Name.LocalName: "see" or "seealso" } see => $"`{Short(see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? see.Value)}`",
                XElement { Name.LocalName: "paramref" or "typeparamref" } p => $"`{p.Attribute("name")?.Value}`",
                XElement e => e.Value,
                _ => "",
            });
        }

        return Whitespace().Replace(text.ToString(), " ").Trim().Replace("|", "\\|", StringComparison.Ordinal);
    }

    private static string Short(string cref)
    {
        var name = cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..] : cref;
        var parts = name.Split('(')[0].Split('.');
        return parts[^1];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
