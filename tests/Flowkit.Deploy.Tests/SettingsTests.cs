using System.Text.RegularExpressions;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// docs/operations.md lists every setting (issue #15) and cannot drift from the code: the generated part is compared
/// with the options classes (rewrite it with <c>FLOWKIT_WRITE_SETTINGS=1 dotnet test --project
/// tests/Flowkit.Deploy.Tests</c>), and every configuration key the sources read outside an options class is named
/// in the hand-written part.
/// </summary>
public sealed partial class SettingsTests
{
    private const string WriteVariable = "FLOWKIT_WRITE_SETTINGS";
    private const string Doc = "docs/operations.md";

    [Fact]
    public void SettingsTable_InOperationsDoc_EqualsTheOptionsClasses()
    {
        var doc = Repo.Read(Doc).ReplaceLineEndings("\n");
        var generated = SettingsTable.Generate();
        var start = doc.IndexOf(SettingsTable.Begin, StringComparison.Ordinal);
        var end = doc.IndexOf(SettingsTable.End, StringComparison.Ordinal);
        start.Should().BeGreaterThan(-1, $"{Doc} holds the generated settings between the markers");
        end.Should().BeGreaterThan(start);
        var current = doc[start..(end + SettingsTable.End.Length)];
        if (current != generated && Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(Repo.PathOf(Doc), doc.Replace(current, generated, StringComparison.Ordinal));
            current = generated;
        }

        current.Should().Be(generated, $"the settings table is generated: rewrite it with {WriteVariable}=1 dotnet test --project tests/Flowkit.Deploy.Tests");
    }

    [Fact]
    public void SettingsTable_CoversEveryOptionsClass()
    {
        var sections = SettingsTable.OptionsTypes().Select(SettingsTable.SectionOf).ToList();

        // A floor, so that a broken scan (no assemblies found) cannot pass as an empty table.
        sections.Should().Contain(["Flowkit", "Flowkit:Auth", "Flowkit:Secrets", "Flowkit:Worker", "Flowkit:Engine:Timeouts", "Flowkit:Observability"]);
    }

    [Fact]
    public void OperationsDoc_NamesEveryKeyReadOutsideOptionsClasses()
    {
        var doc = Repo.Read(Doc);
        var sections = SettingsTable.OptionsTypes().Select(SettingsTable.SectionOf).ToHashSet(StringComparer.Ordinal);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Repo.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            keys.UnionWith(Literal().Matches(text).Select(m => m.Groups["key"].Value));
            keys.UnionWith(ConnectionString().Matches(text).Select(m => $"ConnectionStrings:{m.Groups["name"].Value}"));
        }

        keys.Should().Contain("ConnectionStrings:Postgres");
        foreach (var key in keys.Where(k => !sections.Contains(k)))
        {
            doc.Should().Contain($"`{key}`", $"{Doc} explains the setting {key}");
        }
    }

    [GeneratedRegex("\"(?<key>(Flowkit|ConnectionStrings)(:[A-Za-z]+)+)\"")]
    private static partial Regex Literal();

    [GeneratedRegex("GetConnectionString\\(\"(?<name>[A-Za-z]+)\"\\)")]
    private static partial Regex ConnectionString();
}
