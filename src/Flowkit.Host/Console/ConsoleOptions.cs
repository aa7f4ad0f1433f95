namespace Flowkit.Host.Console;

/// <summary>Where the web console's built files are (docs/console.md).</summary>
internal sealed class ConsoleOptions
{
    public const string Section = "Flowkit:Console";

    /// <summary>
    /// The folder holding the built console (index.html, app.js, app.css). Default: <c>console</c> beside the host's
    /// assembly, where the build copies <c>web/console/dist</c>. When the folder has no index.html, <c>/</c> says how to build it.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>Serve the console at all (processes running the API role only).</summary>
    public bool Enabled { get; set; } = true;
}
