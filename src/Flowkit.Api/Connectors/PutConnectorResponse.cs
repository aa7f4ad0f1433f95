namespace Flowkit.Api.Connectors;

/// <summary>The answer to PUT /api/v1/connectors/{name}.</summary>
/// <param name="Name">The connector.</param>
/// <param name="Version">The latest version after the request.</param>
/// <param name="Created">True when this request created the connector (or brought a deleted one back).</param>
/// <param name="Changed">False when the document was identical to the latest version and nothing was stored.</param>
public sealed record PutConnectorResponse(string Name, int Version, bool Created, bool Changed);
