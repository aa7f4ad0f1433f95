using System.Text.Json;
using Flowkit.Definitions.Connectors;
using Json.Schema;

namespace Flowkit.Definitions.Tests.Connectors;

/// <summary>
/// Issue #14: a connector action's parameter schema. Flowkit checks a subset of JSON Schema in its own words; each
/// verdict here is also asked of JsonSchema.Net, so the subset means what JSON Schema means.
/// </summary>
public sealed class ParamsSchemaTests
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "title": { "type": "string", "minLength": 1 },
            "count": { "type": "integer", "minimum": 1, "maximum": 10 },
            "state": { "type": "string", "enum": ["open", "closed"] },
            "labels": { "type": "array", "items": { "type": "string" }, "maxItems": 2 },
            "code": { "type": "string", "pattern": "^[A-Z]{3}$" },
            "meta": { "type": "object", "properties": { "x": { "type": "number" } }, "required": ["x"], "additionalProperties": false }
          },
          "required": ["title"],
          "additionalProperties": true
        }
        """;

    private static readonly Lazy<JsonSchema> Reference = new(() => JsonSchema.FromText(Schema));

    public static TheoryData<string, string?> Cases() => new()
    {
        { """{"title":"a"}""", null },
        { """{"title":"a","count":3,"state":"open","labels":["x","y"],"code":"ABC","meta":{"x":1.5}}""", null },
        { """{}""", "$.title" },
        { """{"title":""}""", "$.title" },
        { """{"title":5}""", "$.title" },
        { """{"title":"a","count":2.5}""", "$.count" },
        { """{"title":"a","count":11}""", "$.count" },
        { """{"title":"a","state":"opne"}""", "$.state" },
        { """{"title":"a","labels":["x",1]}""", "$.labels[1]" },
        { """{"title":"a","labels":["x","y","z"]}""", "$.labels" },
        { """{"title":"a","code":"abc"}""", "$.code" },
        { """{"title":"a","meta":{}}""", "$.meta.x" },
        { """{"title":"a","meta":{"x":1,"y":2}}""", "$.meta.y" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_Value_AgreesWithJsonSchemaAndNamesThePath(string value, string? path)
    {
        using var schema = JsonDocument.Parse(Schema);
        using var instance = JsonDocument.Parse(value);
        var errors = new List<ValidationError>();

        ParamsSchema.Validate(schema.RootElement, instance.RootElement, "$", deferTemplates: false, errors, "act");

        var reference = Reference.Value.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag });
        reference.IsValid.Should().Be(errors.Count == 0, "JsonSchema.Net gives the same verdict");
        if (path is null)
        {
            errors.Should().BeEmpty();
        }
        else
        {
            errors.Should().ContainSingle().Which.Path.Should().Be(path);
        }
    }

    [Fact]
    public void Validate_TopLevelNameNotInSchema_IsRefusedWithSuggestion()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"title":{"type":"string"}}}""");
        using var instance = JsonDocument.Parse("""{"titel":"a"}""");
        var errors = new List<ValidationError>();

        ParamsSchema.Validate(schema.RootElement, instance.RootElement, "$.with.params", deferTemplates: false, errors, "create_issue");

        errors.Should().ContainSingle().Which.Should().Be(new ValidationError("$.with.params.titel",
            "Action create_issue has no parameter 'titel'; its parameters are title. Did you mean 'title'?"));
    }

    [Fact]
    public void Validate_TemplateDeferred_IsNotCheckedUntilRunTime()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}}}""");
        using var instance = JsonDocument.Parse("""{"n":"{{ input.n }}"}""");
        var errors = new List<ValidationError>();

        ParamsSchema.Validate(schema.RootElement, instance.RootElement, "$", deferTemplates: true, errors, "a");

        errors.Should().BeEmpty();
    }

    [Fact]
    public void Check_BadSchema_NamesEachBadKeyword()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"strng"},"b":{"oneOf":[]},"c":{"minLength":-1}},"required":["d"]}""");
        var errors = new List<ValidationError>();

        ParamsSchema.Check(schema.RootElement, "$.params", errors);

        errors.Select(e => e.Path).Should().BeEquivalentTo(
            "$.params.properties.a.type", "$.params.properties.b.oneOf", "$.params.properties.c.minLength", "$.params.required[0]");
    }
}
