namespace Flowkit.Api.Connectors;

/// <summary>The answer to POST /api/v1/connectors/{name}/import.</summary>
/// <param name="Name">The connector.</param>
/// <param name="Version">The latest version after the import.</param>
/// <param name="Created">True when the import created the connector.</param>
/// <param name="Changed">False when the import gave the same document as the latest version.</param>
/// <param name="Actions">The actions made, one per operation.</param>
/// <param name="Notes">What the import did not carry over (header parameters, non-JSON bodies, unknown security schemes).</param>
public sealed record ImportConnectorResponse(string Name, int Version, bool Created, bool Changed, IReadOnlyList<string> Actions, IReadOnlyList<string> Notes);
