using System.CommandLine;
using System.Text.Json;

namespace Flowkit.Cli;

/// <summary><c>flowkit export [NAME...] --dir DIR</c>: each workflow's latest source, as it was saved, one file per workflow (for Git).</summary>
internal static class ExportCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var names = new Argument<string[]>("workflows") { Description = "Workflows to export (default: all).", Arity = ArgumentArity.ZeroOrMore };
        var dir = new Option<string>("--dir", "-d") { Description = "Where to write the files.", DefaultValueFactory = _ => "." };
        var command = new Command("export", "Write workflows' latest definitions to files (NAME.yaml or NAME.json), ready for import.") { names, dir };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var wanted = parse.GetValue(names) ?? [];
            if (wanted.Length == 0)
            {
                var all = new List<string>();
                string? cursor = null;
                do
                {
                    var (_, page) = await client.GetAsync($"/api/v1/workflows?limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", cancellationToken);
                    all.AddRange(page.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("name").GetString()!));
                    cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
                }
                while (cursor is not null);
                wanted = [.. all];
            }

            var folder = parse.GetValue(dir)!;
            Directory.CreateDirectory(folder);
            foreach (var name in wanted)
            {
                var (_, workflow) = await client.GetAsync($"/api/v1/workflows/{Uri.EscapeDataString(name)}", cancellationToken);
                var latest = workflow.GetProperty("version").GetInt32();
                var (_, version) = await client.GetAsync($"/api/v1/workflows/{Uri.EscapeDataString(name)}/versions/{latest}", cancellationToken);
                var extension = version.GetProperty("format").GetString() == "json" ? "json" : "yaml";
                var path = Path.Combine(folder, $"{name}.{extension}");
                await File.WriteAllTextAsync(path, version.GetProperty("source").GetString(), cancellationToken);
                await Console.Out.WriteLineAsync($"{name} version {latest} -> {path}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
