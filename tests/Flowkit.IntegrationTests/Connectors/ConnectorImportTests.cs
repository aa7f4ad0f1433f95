using System.Net;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Connectors;

/// <summary>Issue #14: an OpenAPI 3 document becomes a connector whose actions run.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ConnectorImportTests(FlowkitFixture flowkit)
{
    private const string PetStore = """
        openapi: 3.0.3
        info: { title: Pet store, version: "2" }
        servers: [ { url: https://pets.example.com/v2 } ]
        security: [ { token: [] } ]
        components:
          securitySchemes:
            token: { type: http, scheme: bearer }
          schemas:
            NewPet:
              type: object
              required: [name]
              properties:
                name: { type: string, minLength: 1 }
                kind: { type: string, enum: [cat, dog] }
                tag: { type: string, nullable: true }
        paths:
          /stores/{storeId}/pets:
            parameters:
              - { name: storeId, in: path, required: true, schema: { type: string } }
            post:
              operationId: addPet
              summary: Add a pet to a store
              parameters:
                - { name: notify, in: query, schema: { type: boolean } }
                - { name: X-Trace, in: header, schema: { type: string } }
              requestBody:
                content:
                  application/json:
                    schema: { $ref: "#/components/schemas/NewPet" }
          /pets/{petId}:
            get:
              parameters:
                - { name: petId, in: path, required: true, schema: { type: integer } }
        """;

    [Fact]
    public async Task Import_OpenApiDocument_MakesActionsThatRun()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-import");
        api.Secret = $"pet-{Guid.NewGuid():N}";
        (await client.SendAsync(HttpMethod.Put, "/api/v1/secrets/petstore_token", JsonSerializer.Serialize(new { value = api.Secret }))).Status.Should().Be(HttpStatusCode.NoContent);

        var imported = await client.SendAsync(HttpMethod.Post, $"/api/v1/connectors/petstore/import?baseUrl={Uri.EscapeDataString(api.Url("/v2"))}", PetStore, "application/yaml");

        imported.Status.Should().Be(HttpStatusCode.OK, imported.Text);
        imported.Body.GetProperty("actions").EnumerateArray().Select(a => a.GetString()).Should().BeEquivalentTo("addPet", "get_pets_petId");
        imported.Body.GetProperty("notes").EnumerateArray().Should().ContainSingle().Which.GetString().Should().Contain("X-Trace");
        var document = (await client.ReadAsync("/api/v1/connectors/petstore")).Body.GetProperty("document");
        document.GetProperty("auth").GetProperty("token").GetString().Should().Be("{{ secrets.petstore_token }}");
        document.GetProperty("actions").GetProperty("addPet").GetProperty("path").GetString().Should().Be("/stores/{{ params.storeId }}/pets");

        var rejected = await client.PostYamlAsync("/api/v1/workflows", $"name: {Api.UniqueName("pets")}\nsteps:\n  - {{ id: add, type: connector, with: {{ connector: petstore, action: addPet, params: {{ storeId: s1, kind: bird }} }} }}\n");
        rejected.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        rejected.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString())
            .Should().BeEquivalentTo("$.steps[0].with.params.name", "$.steps[0].with.params.kind");

        var name = Api.UniqueName("pets");
        (await client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - { id: add, type: connector, with: { connector: petstore, action: addPet, params: { storeId: s1, notify: true, name: Rex, kind: dog } } }
              - { id: get, type: connector, with: { connector: petstore, action: get_pets_petId, params: { petId: "{{ steps.add.output.body.id }}" } } }
            """)).Status.Should().Be(HttpStatusCode.Created);
        var run = await client.WaitForRunEndAsync(await client.StartRunAsync(name));

        run.Status().Should().Be("succeeded", run.ToString());
        var added = Api.Step(run, "add").GetProperty("output").GetProperty("body");
        added.GetProperty("store").GetString().Should().Be("s1");
        added.GetProperty("notify").GetString().Should().Be("true", "notify is a query parameter");
        var body = JsonDocument.Parse(api.Received.First(r => r.Method == "POST").Body).RootElement;
        body.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("name", "kind");
        Api.Step(run, "get").GetProperty("output").GetProperty("body").GetProperty("id").GetString().Should().Be("7");
    }
}
