using System.Text.Json;
using Flowkit.Persistence.Connectors;

namespace Flowkit.Api.Connectors;

/// <summary>A connector as the API shows it, with one version's document (canonical JSON).</summary>
/// <param name="Name">Its name, unique in the workspace.</param>
/// <param name="Description">The latest document's description.</param>
/// <param name="Version">The version shown.</param>
/// <param name="LatestVersion">The newest version.</param>
/// <param name="CreatedAt">When version 1 was stored.</param>
/// <param name="UpdatedAt">When the latest version was stored.</param>
/// <param name="VersionCreatedAt">When the version shown was stored.</param>
/// <param name="Document">The version's document.</param>
public sealed record ConnectorResponse(
    string Name,
    string? Description,
    int Version,
    int LatestVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset VersionCreatedAt,
    JsonElement Document)
{
    internal static ConnectorResponse From(ConnectorRow row, ConnectorVersionRow version) =>
        new(row.Name, row.Description, version.Version, row.LatestVersion, row.CreatedAt, row.UpdatedAt, version.CreatedAt,
            JsonSerializer.Deserialize<JsonElement>(version.Document));
}
