namespace Flowkit.IntegrationTests.Governance;

/// <summary>
/// The permission table of docs/security.md ("Roles and permissions"), read from the page: the permission tests
/// check the host against what the manual says, not against the code's own copy.
/// </summary>
internal static class PermissionTable
{
    /// <summary>Each permission with the roles that have it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Read()
    {
        var lines = File.ReadAllLines(Path.Combine(Root(), "docs", "security.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith("| permission | allows |", StringComparison.Ordinal));
        header.Should().BeGreaterThanOrEqualTo(0, "docs/security.md has the permission table");
        var roles = Cells(lines[header])[2..];
        var table = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = Cells(line);
            var permission = cells[0].Trim('`');
            table[permission] = roles.Where((_, i) => cells[2 + i] == "yes").ToHashSet(StringComparer.Ordinal);
        }

        return table;
    }

    private static string[] Cells(string line) => [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];

    private static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Flowkit.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Flowkit.sln above {AppContext.BaseDirectory}.");
    }
}
