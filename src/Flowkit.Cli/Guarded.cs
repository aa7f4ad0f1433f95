using System.CommandLine;

namespace Flowkit.Cli;

/// <summary>Runs a command's action, turning a <see cref="CliException"/> into its message on stderr and its exit code.</summary>
internal static class Guarded
{
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return e.ExitCode;
            }
        };
}
