namespace Flowkit.Cli;

/// <summary>What <c>flowkit</c> exits with (docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused, could not be reached, or the command was used wrongly.</summary>
    public const int Error = 1;

    /// <summary>A definition is not valid.</summary>
    public const int Invalid = 2;

    /// <summary><c>run --watch</c>: the run failed.</summary>
    public const int RunFailed = 3;

    /// <summary><c>run --watch</c>: the run was cancelled.</summary>
    public const int RunCancelled = 4;
}
