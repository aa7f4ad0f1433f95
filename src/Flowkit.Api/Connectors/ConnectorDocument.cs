using System.Text.Json;

namespace Flowkit.Api.Connectors;

/// <summary>The body of PUT /api/v1/connectors/{name} (YAML or JSON), for the OpenAPI document (docs/integrations.md).</summary>
/// <param name="BaseUrl">The address every action's path is added to, like https://api.github.com.</param>
/// <param name="Auth">{type: header|bearer|basic|query|oauth2, ...}; every credential as "{{ secrets.name }}".</param>
/// <param name="Headers">Headers sent with every action; values may read secrets.</param>
/// <param name="Actions">By name: {method, path (may use {{ params.x }}), params (JSON Schema object), query?, output?, description?}.</param>
/// <param name="Description">Free text.</param>
public sealed record ConnectorDocument(string BaseUrl, JsonElement? Auth, IReadOnlyDictionary<string, string>? Headers, JsonElement Actions, string? Description);
