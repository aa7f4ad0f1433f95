using Microsoft.Extensions.Logging.Console;

namespace Flowkit.Host.Observability;

/// <summary>Settings of <see cref="EcsConsoleFormatter"/>.</summary>
internal sealed class EcsConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>The <c>service.name</c> written on every line.</summary>
    public string ServiceName { get; set; } = "flowkit";
}
