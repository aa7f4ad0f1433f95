namespace Flowkit.Cli;

/// <summary>A failure to report on stderr with an exit code; the message says what to do.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
