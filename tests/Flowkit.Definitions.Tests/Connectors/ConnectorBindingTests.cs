using System.Text.Json;
using Flowkit.Definitions.Connectors;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Connectors;

/// <summary>Issue #14: a connector step is pinned, when saved, to the connector version it runs.</summary>
public sealed class ConnectorBindingTests
{
    private const string Connector = """
        baseUrl: https://api.example.com
        auth: { type: bearer, token: "{{ secrets.example_token }}" }
        actions:
          get_item:
            method: GET
            path: "/items/{{ params.id }}"
            params: { type: object, properties: { id: { type: string } }, required: [id] }
        """;

    [Fact]
    public void Bind_ValidStep_PinsVersionAndCarriesTheActionAndItsSecret()
    {
        using var engine = new ExpressionEngine();
        var reading = new ConnectorReader(engine).Read(Connector, DocumentFormat.Yaml, CancellationToken.None);
        reading.Errors.Should().BeEmpty();
        var stored = new StoredConnector("example", 3, JsonDocument.Parse(reading.CanonicalJson!).RootElement);
        var compilation = new DefinitionCompiler(engine).Compile("""
            name: uses-connector
            steps:
              - { id: get, type: connector, with: { connector: example, action: get_item, params: { id: "{{ input.id }}" } } }
            """, DocumentFormat.Yaml);
        compilation.Errors.Should().BeEmpty();

        var bound = ConnectorBinding.Bind(compilation.CanonicalJson!, (name, version) => name == "example" && version is null or 3 ? stored : null, ["example"]);

        bound.Errors.Should().BeEmpty();
        var recompiled = new DefinitionCompiler(engine).Compile(JsonDocument.Parse(bound.CanonicalJson!).RootElement);
        recompiled.Errors.Should().BeEmpty("a stored definition compiles again when runs start");
        var step = recompiled.Plan!.Steps[0];
        step.Spec.GetProperty("with").GetProperty("resolved").GetProperty("version").GetInt32().Should().Be(3);
        step.Spec.GetProperty("with").GetProperty("resolved").GetProperty("path").GetString().Should().Be("/items/{{ params.id }}");
        step.SecretNames.Should().Equal("example_token");
    }
}
