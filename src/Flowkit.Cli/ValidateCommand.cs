using System.CommandLine;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Reading;

namespace Flowkit.Cli;

/// <summary><c>flowkit validate FILE...</c>: offline, with the server's compiler, so the messages are the API's.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Definition files (.yaml, .yml or .json).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check definition files offline, with the same rules and messages as the server.") { files };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            var compiler = new DefinitionCompiler(new ExpressionEngine());
            var invalid = 0;
            foreach (var path in parse.GetValue(files)!)
            {
                var file = DefinitionFile.Read(path);
                var compilation = compiler.Compile(file.Text, file.Format, DefinitionLimits.Default, cancellationToken);
                if (compilation.IsValid)
                {
                    await Console.Out.WriteLineAsync($"{path}: valid ({compilation.Definition!.Name}, {compilation.Definition.Steps.Count} steps)");
                    continue;
                }

                invalid++;
                var lines = SourceLines.Map(file.Text);
                foreach (var error in compilation.Errors)
                {
                    var at = lines.Find(error.Path) is { } p && error.Path != "$" ? $":{p.Line}:{p.Column}" : "";
                    await Console.Out.WriteLineAsync($"{path}{at}: {error.Path}: {error.Message}");
                }
            }

            return invalid == 0 ? ExitCodes.Ok : ExitCodes.Invalid;
        }));
        return command;
    }
}
