using System.Reflection;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Testing;
using YamlDotNet.RepresentationModel;

namespace Flowkit.IntegrationTests;

/// <summary>
/// docs/asyncapi.yaml against contracts/Flowkit.Contracts by reflection (issue #11): every contract type has a schema
/// with the same properties, types and required list, every message type a message, and nothing extra.
/// </summary>
public sealed class AsyncApiTests
{
    private static readonly Type[] Contracts = [.. typeof(IRunMessage).Assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false })];

    private static readonly YamlMappingNode Document = Load();

    [Fact]
    public void AsyncApi_Schemas_MatchTheContractTypesExactly()
    {
        var schemas = Map(Map(Document, "components"), "schemas");

        schemas.Children.Keys.Select(Text).Should().BeEquivalentTo(Contracts.Select(t => t.Name), "one schema per contract type, nothing extra");
        foreach (var type in Contracts)
        {
            var schema = Map(schemas, type.Name);
            var properties = Map(schema, "properties");
            var clr = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
            properties.Children.Keys.Select(Text).Should().BeEquivalentTo(clr.Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)), $"the properties of {type.Name}");
            var nullability = new NullabilityInfoContext();
            foreach (var property in clr)
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                Describe(Map(properties, name)).Should().Be(Describe(property, nullability), $"{type.Name}.{name}");
            }

            var required = schema.Children.TryGetValue(new YamlScalarNode("required"), out var r) ? ((YamlSequenceNode)r).Children.Select(Text).ToArray() : [];
            required.Should().BeEquivalentTo(
                clr.Where(p => !IsNullable(p, nullability)).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)),
                $"the properties of {type.Name} that are never null");
        }
    }

    [Fact]
    public void AsyncApi_Messages_OnePerMessageTypeWithItsSchemaOnAChannel()
    {
        var messageTypes = Contracts.Where(t => typeof(IRunMessage).IsAssignableFrom(t) && t != typeof(RunLifecycleEvent)).Select(t => t.Name).ToArray();
        var messages = Map(Map(Document, "components"), "messages");

        messages.Children.Keys.Select(Text).Should().BeEquivalentTo(messageTypes, "one message per message type, nothing extra");
        foreach (var name in messageTypes)
        {
            Text(Map(Map(messages, name), "payload").Children[new YamlScalarNode("$ref")]).Should().Be($"#/components/schemas/{name}");
        }

        // Every message is on a channel.
        var yaml = File.ReadAllText(Path());
        messageTypes.Should().AllSatisfy(name => yaml.Should().Contain($"$ref: '#/components/messages/{name}'"));
    }

    [Fact]
    public void AsyncApi_LifecycleEventType_NamesEveryEventTheEngineRecords()
    {
        var type = Map(Map(Map(Map(Document, "components"), "schemas"), "RunLifecycleEvent"), "properties");
        var description = Text(Map(type, "type").Children[new YamlScalarNode("description")]);
        var recorded = typeof(Flowkit.Sagas.RunEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToArray();

        recorded.Should().Contain(["RunPaused", "RunResumed", "StepReused"], "pause, resume and rerun are on the timeline (issue #12)");
        recorded.Should().AllSatisfy(name => description.Should().Contain(name));
    }

    /// <summary>A schema property as text: its type(s), format, items and additional properties.</summary>
    private static string Describe(YamlMappingNode property)
    {
        if (property.Children.TryGetValue(new YamlScalarNode("oneOf"), out var oneOf))
        {
            return string.Join("|", ((YamlSequenceNode)oneOf).Children.Cast<YamlMappingNode>().Select(Describe));
        }

        if (property.Children.TryGetValue(new YamlScalarNode("$ref"), out var reference))
        {
            return "ref:" + Text(reference).Split('/')[^1];
        }

        if (!property.Children.TryGetValue(new YamlScalarNode("type"), out var type))
        {
            return "any";
        }

        var types = type is YamlSequenceNode many ? string.Join("|", many.Children.Select(Text)) : Text(type);
        var format = property.Children.TryGetValue(new YamlScalarNode("format"), out var f) ? ":" + Text(f) : "";
        var items = property.Children.TryGetValue(new YamlScalarNode("items"), out var i) ? "<" + Describe((YamlMappingNode)i) + ">" : "";
        var values = property.Children.TryGetValue(new YamlScalarNode("additionalProperties"), out var a) ? "{" + Describe((YamlMappingNode)a) + "}" : "";
        return types + format + items + values;
    }

    /// <summary>The same text for a contract property, as System.Text.Json writes it.</summary>
    private static string Describe(PropertyInfo property, NullabilityInfoContext nullability)
    {
        var text = Describe(System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType);
        if (!IsNullable(property, nullability) || text == "any")
        {
            return text;
        }

        return text.StartsWith("ref:", StringComparison.Ordinal) ? text + "|null" : Insert(text);

        static string Insert(string t)
        {
            var colon = t.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? t + "|null" : t[..colon] + "|null" + t[colon..];
        }
    }

    private static string Describe(Type type)
    {
        if (type == typeof(Guid))
        {
            return "string:uuid";
        }

        if (type == typeof(DateTimeOffset))
        {
            return "string:date-time";
        }

        if (type == typeof(string))
        {
            return "string";
        }

        if (type == typeof(TimeSpan))
        {
            // System.Text.Json writes a TimeSpan as [d.]hh:mm:ss[.fffffff], not as an ISO 8601 duration.
            return "string:time-span";
        }

        if (type == typeof(int))
        {
            return "integer";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type == typeof(JsonElement))
        {
            return "any";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            return "array<" + Describe(type.GetGenericArguments()[0]) + ">";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
        {
            return "object{" + Describe(type.GetGenericArguments()[1]) + "}";
        }

        return Contracts.Contains(type) ? "ref:" + type.Name : throw new InvalidOperationException($"No schema mapping for {type}: add one here and in docs/asyncapi.yaml.");
    }

    private static bool IsNullable(PropertyInfo property, NullabilityInfoContext nullability) =>
        System.Nullable.GetUnderlyingType(property.PropertyType) is not null
        || (!property.PropertyType.IsValueType && nullability.Create(property).ReadState == NullabilityState.Nullable);

    private static YamlMappingNode Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (YamlMappingNode)child : throw new KeyNotFoundException($"docs/asyncapi.yaml has no '{key}' here.");

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static string Path() => System.IO.Path.Combine(ServiceEndpoints.RepositoryRoot(), "docs", "asyncapi.yaml");

    private static YamlMappingNode Load()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path())));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
