namespace Flowkit.Cli.Tests;

/// <summary>What a run of the tool gave: exit code, stdout, stderr.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
