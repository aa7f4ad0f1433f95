using System.CommandLine;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Cli;

/// <summary><c>flowkit apply FILE...</c> (and <c>import</c>): create each workflow, or store a new version of it.</summary>
internal static class ApplyCommand
{
    public static Command Create(GlobalOptions globals, string name, string description)
    {
        var files = new Argument<string[]>("files") { Description = "Definition files (.yaml, .yml or .json).", Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, description) { files };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var compiler = new DefinitionCompiler(new ExpressionEngine());
            foreach (var path in parse.GetValue(files)!)
            {
                var file = DefinitionFile.Read(path);
                // The name decides create or update; the server checks the definition again either way.
                var workflow = compiler.Compile(file.Text, file.Format, DefinitionLimits.Default, cancellationToken).Definition?.Name;
                if (workflow is null)
                {
                    throw new CliException($"{path}: not a valid definition; run 'flowkit validate {path}' to see why.", ExitCodes.Invalid);
                }

                var (status, body) = await client.SendDefinitionAsync(HttpMethod.Put, $"/api/v1/workflows/{Uri.EscapeDataString(workflow)}", file.Text, file.IsJson, cancellationToken);
                if (status == 404)
                {
                    (status, body) = await client.SendDefinitionAsync(HttpMethod.Post, "/api/v1/workflows", file.Text, file.IsJson, cancellationToken);
                    if (status != 201)
                    {
                        throw new CliException($"{path}: {FlowkitClient.Describe(status, body)}");
                    }

                    await Console.Out.WriteLineAsync($"{path}: created {workflow} version {body.GetProperty("version").GetInt32()}");
                    continue;
                }

                if (status != 200)
                {
                    throw new CliException($"{path}: {FlowkitClient.Describe(status, body)}");
                }

                var version = body.GetProperty("version").GetInt32();
                await Console.Out.WriteLineAsync(body.GetProperty("changed").GetBoolean()
                    ? $"{path}: updated {workflow} to version {version}"
                    : $"{path}: {workflow} unchanged (version {version})");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
