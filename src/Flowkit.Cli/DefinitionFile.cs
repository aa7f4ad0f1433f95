using Flowkit.Definitions;

namespace Flowkit.Cli;

/// <summary>A definition file: its text and format (JSON for <c>.json</c>, else YAML).</summary>
internal sealed record DefinitionFile(string Path, string Text, DocumentFormat Format)
{
    public bool IsJson => Format == DocumentFormat.Json;

    public static DefinitionFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such file.");
        }

        var format = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? DocumentFormat.Json : DocumentFormat.Yaml;
        return new DefinitionFile(path, File.ReadAllText(path), format);
    }
}
