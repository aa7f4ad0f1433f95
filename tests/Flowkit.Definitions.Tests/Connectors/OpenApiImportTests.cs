using System.Text.Json;
using Flowkit.Definitions.Connectors;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Connectors;

/// <summary>Issue #14: what an OpenAPI 3 document becomes, checked by the connector reader.</summary>
public sealed class OpenApiImportTests
{
    [Fact]
    public void Import_OAuthClientCredentialsAndQueryParameters_MakesAValidConnector()
    {
        const string Document = """
            {
              "openapi": "3.1.0",
              "info": { "title": "Tickets" },
              "servers": [ { "url": "https://tickets.example.com/api" } ],
              "components": { "securitySchemes": { "cc": { "type": "oauth2", "flows": { "clientCredentials": { "tokenUrl": "https://tickets.example.com/oauth/token", "scopes": { "tickets:read": "", "tickets:write": "" } } } } } },
              "paths": {
                "/tickets": {
                  "get": { "operationId": "list-tickets", "parameters": [ { "name": "status", "in": "query", "required": true, "schema": { "type": "string", "enum": ["open", "done"] } } ] }
                }
              }
            }
            """;

        var result = OpenApiImport.Import(Document, DocumentFormat.Json, "help-desk", null, CancellationToken.None);

        result.Errors.Should().BeEmpty();
        var connector = result.Connector!;
        connector["baseUrl"]!.GetValue<string>().Should().Be("https://tickets.example.com/api");
        connector["auth"]!.ToJsonString().Should().Be(
            """{"type":"oauth2","tokenUrl":"https://tickets.example.com/oauth/token","clientId":"{{ secrets.help_desk_client_id }}","clientSecret":"{{ secrets.help_desk_client_secret }}","scope":"tickets:read tickets:write"}""");
        var action = connector["actions"]!["list_tickets"]!;
        action["method"]!.GetValue<string>().Should().Be("GET");
        action["params"]!["required"]!.ToJsonString().Should().Be("""["status"]""");
        using var engine = new ExpressionEngine();
        new ConnectorReader(engine).Read(JsonSerializer.SerializeToElement(connector)).Errors.Should().BeEmpty();
    }

    [Fact]
    public void Import_NotOpenApi3_SaysSo()
    {
        var result = OpenApiImport.Import("""{"swagger":"2.0"}""", DocumentFormat.Json, "old", null, CancellationToken.None);

        result.Errors.Should().ContainSingle().Which.Path.Should().Be("$.openapi");
    }
}
