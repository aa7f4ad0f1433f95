using System.Text;
using System.Text.RegularExpressions;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// A small Dockerfile reader for the checks hadolint would make (hadolint is not packaged for this machine): comments
/// and parser directives dropped, backslash continuations joined, each instruction tagged with its build stage.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerfileInstruction> instructions) => Instructions = instructions;

    public IReadOnlyList<DockerfileInstruction> Instructions { get; }

    /// <summary>Global <c>ARG name=default</c> before the first FROM.</summary>
    public IReadOnlyDictionary<string, string> GlobalArgs =>
        Instructions.Where(i => i.Stage < 0 && i.Keyword == "ARG" && i.Arguments.Contains('=', StringComparison.Ordinal))
            .ToDictionary(i => i.Arguments.Split('=', 2)[0].Trim(), i => i.Arguments.Split('=', 2)[1].Trim());

    /// <summary>Each stage's FROM: the image with global ARGs substituted, and its name (AS ...).</summary>
    public IReadOnlyList<(string Image, string? Name)> Stages =>
        Instructions.Where(i => i.Keyword == "FROM").Select(i =>
        {
            var parts = i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToArray();
            var image = ArgReference().Replace(parts[0], m => GlobalArgs.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);
            var name = parts.Length >= 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null;
            return (image, name);
        }).ToList();

    public IEnumerable<DockerfileInstruction> InStage(int stage) => Instructions.Where(i => i.Stage == stage);

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerfileInstruction>();
        var stage = -1;
        var current = new StringBuilder();
        var startLine = 0;
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var trimmed = line.Trim();
            if (trimmed.StartsWith('#') || (current.Length == 0 && trimmed.Length == 0))
            {
                continue;
            }

            if (current.Length == 0)
            {
                startLine = n + 1;
            }

            if (trimmed.EndsWith('\\'))
            {
                current.Append(trimmed[..^1]).Append(' ');
                continue;
            }

            current.Append(trimmed);
            var whole = current.ToString().Trim();
            current.Clear();
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : whole[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                stage++;
            }

            instructions.Add(new DockerfileInstruction(keyword, arguments, stage, startLine));
        }

        return new Dockerfile(instructions);
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex ArgReference();
}
