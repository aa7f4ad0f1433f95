using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Validation;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Connectors;

/// <summary>A stored connector version as the binding reads it.</summary>
/// <param name="Name">The connector's name.</param>
/// <param name="Version">The version.</param>
/// <param name="Document">Its canonical document.</param>
public sealed record StoredConnector(string Name, int Version, JsonElement Document);

/// <summary>What binding a definition's connector steps gave: the canonical definition with each step pinned, or every problem.</summary>
public sealed record ConnectorBindingResult(string? CanonicalJson, IReadOnlyList<ValidationError> Errors)
{
    public bool IsValid => CanonicalJson is not null && Errors.Count == 0;
}

/// <summary>
/// Binds the <c>connector</c> steps of a valid definition to stored connectors when the workflow is saved: the
/// connector, its version (<c>with.version</c>, else the latest) and the action must exist, and the params must meet the
/// action's schema (strings holding <c>{{ }}</c> are checked when the step runs). Each step then carries what it runs
/// as <c>with.resolved</c> (the connector version, base address, auth, headers and the action), so a workflow version
/// runs the connector version it was saved with whatever happens to the connector later, and workers, which never
/// read the database, have all they need in the step.
/// </summary>
public static class ConnectorBinding
{
    /// <summary>The connector names the definition's connector steps use.</summary>
    public static IReadOnlyList<string> Names(string canonicalJson)
    {
        var names = new List<string>();
        foreach (var (_, with) in ConnectorSteps(JsonNode.Parse(canonicalJson)!))
        {
            if (with?["connector"] is JsonValue value && value.TryGetValue<string>(out var name) && !names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>
    /// Binds every connector step of <paramref name="canonicalJson"/>. <paramref name="find"/> gives a connector by
    /// name and version (null for the latest), or null when there is none; <paramref name="known"/> lists the
    /// workspace's connector names for suggestions.
    /// </summary>
    public static ConnectorBindingResult Bind(string canonicalJson, Func<string, int?, StoredConnector?> find, IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(find);
        ArgumentNullException.ThrowIfNull(known);
        var root = JsonNode.Parse(canonicalJson)!;
        var errors = new List<ValidationError>();
        var any = false;
        foreach (var (index, with) in ConnectorSteps(root))
        {
            any = true;
            var path = $"$.steps[{index}].with";
            if (with is null)
            {
                continue;
            }

            var name = with["connector"]!.GetValue<string>();
            int? version = with["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
            var connector = find(name, version);
            if (connector is null)
            {
                errors.Add(version is null || find(name, null) is null
                    ? new(JsonPath.Property(path, "connector"), $"There is no connector named '{name}' in this workspace. Register it with PUT /api/v1/connectors/{name}.{Suggestions.DidYouMean(name, known)}")
                    : new(JsonPath.Property(path, "version"), $"Connector '{name}' has no version {version}; leave version out to use the latest."));
                continue;
            }

            var actionName = with["action"]!.GetValue<string>();
            var actions = connector.Document.GetProperty("actions");
            if (!actions.TryGetProperty(actionName, out var action))
            {
                var names = actions.EnumerateObject().Select(a => a.Name).ToArray();
                errors.Add(new(JsonPath.Property(path, "action"),
                    $"Connector '{name}' (version {connector.Version}) has no action '{actionName}'. Its actions: {string.Join(", ", names)}.{Suggestions.DidYouMean(actionName, names)}"));
                continue;
            }

            var schema = action.TryGetProperty("params", out var s) ? s : default;
            var parameters = with["params"] is { } p ? JsonSerializer.SerializeToElement(p) : JsonSerializer.SerializeToElement(new JsonObject());
            if (schema.ValueKind == JsonValueKind.Object)
            {
                var withDefaults = JsonNode.Parse(parameters.GetRawText())!.AsObject();
                ParamsSchema.ApplyDefaults(schema, withDefaults);
                ParamsSchema.Validate(schema, JsonSerializer.SerializeToElement(withDefaults), JsonPath.Property(path, "params"), deferTemplates: true, errors, actionName);
            }
            else if (parameters.ValueKind == JsonValueKind.Object && parameters.EnumerateObject().Any())
            {
                errors.Add(new(JsonPath.Property(path, "params"), $"Action {actionName} of connector '{name}' takes no parameters."));
            }

            with["resolved"] = Resolve(connector, action);
        }

        if (!any)
        {
            return new ConnectorBindingResult(canonicalJson, []);
        }

        if (errors.Count > 0)
        {
            return new ConnectorBindingResult(null, errors);
        }

        using var document = JsonDocument.Parse(root.ToJsonString());
        return new ConnectorBindingResult(CanonicalJson.Write(document.RootElement), []);
    }

    /// <summary>What a step runs: the connector version's address, auth and headers with the one action.</summary>
    private static JsonObject Resolve(StoredConnector connector, JsonElement action)
    {
        var document = connector.Document;
        var resolved = new JsonObject
        {
            ["connector"] = connector.Name,
            ["version"] = connector.Version,
            ["baseUrl"] = document.GetProperty("baseUrl").GetString(),
        };
        foreach (var key in new[] { "auth", "headers" })
        {
            if (document.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                resolved[key] = JsonNode.Parse(value.GetRawText());
            }
        }

        foreach (var key in new[] { "method", "path", "params", "query", "output" })
        {
            if (action.TryGetProperty(key, out var value))
            {
                resolved[key] = JsonNode.Parse(value.GetRawText());
            }
        }

        return resolved;
    }

    private static IEnumerable<(int Index, JsonObject? With)> ConnectorSteps(JsonNode root)
    {
        if (root["steps"] is not JsonArray steps)
        {
            yield break;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is JsonObject step && step["type"] is JsonValue type && type.TryGetValue<string>(out var t) && t == StepTypes.Connector)
            {
                yield return (i, step["with"] as JsonObject);
            }
        }
    }
}
