using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Reading;
using Flowkit.Definitions.Validation;

namespace Flowkit.Definitions.Connectors;

/// <summary>What an OpenAPI import gave: the connector document, or every problem; and what was left out.</summary>
/// <param name="Connector">The connector document (not yet checked by <see cref="ConnectorReader"/>).</param>
/// <param name="Errors">Problems that stop the import, with the JSON path in the OpenAPI document.</param>
/// <param name="Notes">What the import could not carry over (header parameters, non-JSON bodies, ...).</param>
public sealed record OpenApiImportResult(JsonObject? Connector, IReadOnlyList<ValidationError> Errors, IReadOnlyList<string> Notes);

/// <summary>
/// Turns an OpenAPI 3 document (JSON or YAML) into a connector: one action per operation, named by its operationId
/// (else method and path, like get_repos_owner_issues), with params from the path and query parameters and the
/// properties of a JSON request body. Only the part of OpenAPI a connector needs is read, with Flowkit's own
/// YAML reader and its limits; <c>$ref</c>s within the document are followed. The security scheme becomes the
/// connector's auth, reading secrets named after the connector (docs/integrations.md).
/// </summary>
public static partial class OpenApiImport
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete", "head"];

    private static readonly string[] SchemaKeywords =
        ["type", "properties", "required", "enum", "const", "default", "items", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
         "minLength", "maxLength", "pattern", "minItems", "maxItems", "additionalProperties", "description", "title", "format"];

    public static OpenApiImportResult Import(string text, DocumentFormat format, string connectorName, string? baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(connectorName);
        JsonDocument document;
        try
        {
            document = format == DocumentFormat.Yaml ? YamlDocumentReader.Read(text, DefinitionLimits.Default, cancellationToken) : JsonDocumentReader.Read(text);
        }
        catch (DocumentFormatException e)
        {
            return new OpenApiImportResult(null, [new ValidationError(JsonPath.Root, e.Message)], []);
        }

        using (document)
        {
            return Import(document.RootElement, connectorName, baseUrl);
        }
    }

    private static OpenApiImportResult Import(JsonElement root, string connectorName, string? baseUrl)
    {
        var errors = new List<ValidationError>();
        var notes = new List<string>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("openapi", out var version) || version.ValueKind != JsonValueKind.String
            || !version.GetString()!.StartsWith("3.", StringComparison.Ordinal))
        {
            errors.Add(new("$.openapi", "This is not an OpenAPI 3 document: it needs openapi: 3.0.x or 3.1.x at the top. (Swagger 2.0 documents can be converted to OpenAPI 3 first.)"));
            return new OpenApiImportResult(null, errors, notes);
        }

        var connector = new JsonObject();
        if (root.TryGetProperty("info", out var info) && info.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
        {
            connector["description"] = info.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String
                ? $"{title.GetString()}: {d.GetString()}"
                : title.GetString();
        }

        var server = baseUrl;
        if (server is null && root.TryGetProperty("servers", out var servers) && servers.ValueKind == JsonValueKind.Array && servers.GetArrayLength() > 0
            && servers[0].TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String)
        {
            server = url.GetString();
        }

        if (server is null || !Uri.TryCreate(server, UriKind.Absolute, out _))
        {
            errors.Add(new("$.servers", $"The document gives no full server address{(server is null ? string.Empty : $" ('{server}' is relative)")}; pass one as ?baseUrl=https://api.example.com."));
        }
        else
        {
            connector["baseUrl"] = server.TrimEnd('/');
        }

        if (Auth(root, connectorName, notes) is { } auth)
        {
            connector["auth"] = auth;
        }

        var actions = new JsonObject();
        if (!root.TryGetProperty("paths", out var paths) || paths.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$.paths", "The document has no paths, so there is no operation to make an action of."));
        }
        else
        {
            foreach (var path in paths.EnumerateObject())
            {
                ReadPathItem(root, path.Name, path.Value, actions, notes);
            }

            if (actions.Count == 0)
            {
                errors.Add(new("$.paths", "The document has no operation (get, post, put, patch, delete, head) to make an action of."));
            }
        }

        connector["actions"] = actions;
        return errors.Count > 0 ? new OpenApiImportResult(null, errors, notes) : new OpenApiImportResult(connector, [], notes);
    }

    private static void ReadPathItem(JsonElement root, string path, JsonElement item, JsonObject actions, List<string> notes)
    {
        item = Deref(root, item);
        if (item.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var shared = item.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().ToArray() : [];
        foreach (var method in Methods)
        {
            if (!item.TryGetProperty(method, out var operation) || operation.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var name = operation.TryGetProperty("operationId", out var id) && id.ValueKind == JsonValueKind.String
                ? Identifier(id.GetString()!)
                : Identifier($"{method}_{path}");
            var unique = name;
            for (var n = 2; actions.ContainsKey(unique); n++)
            {
                unique = $"{name}_{n}";
            }

            actions[unique] = ReadOperation(root, unique, method, path, shared, operation, notes);
        }
    }

    private static JsonObject ReadOperation(JsonElement root, string name, string method, string path, JsonElement[] shared, JsonElement operation, List<string> notes)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        var query = new JsonArray();
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal);
        var own = operation.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().ToArray() : [];
        var parameters = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var parameter in shared.Concat(own).Select(x => Deref(root, x)))
        {
            if (parameter.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && parameter.TryGetProperty("in", out var i) && i.ValueKind == JsonValueKind.String)
            {
                // An operation's parameter overrides the path item's of the same name and place.
                parameters[$"{i.GetString()}:{n.GetString()}"] = parameter;
            }
        }

        foreach (var parameter in parameters.Values)
        {
            var where = parameter.GetProperty("in").GetString();
            var parameterName = parameter.GetProperty("name").GetString()!;
            var schema = parameter.TryGetProperty("schema", out var s) ? Schema(root, s, 0) : new JsonObject();
            if (parameter.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String && schema["description"] is null)
            {
                schema["description"] = description.GetString();
            }

            switch (where)
            {
                case "path":
                    var key = Identifier(parameterName);
                    placeholders[parameterName] = key;
                    properties[key] = schema;
                    required.Add(key);
                    break;
                case "query":
                    properties[parameterName] = schema;
                    query.Add(parameterName);
                    if (parameter.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.True)
                    {
                        required.Add(parameterName);
                    }

                    break;
                default:
                    notes.Add($"Action {name}: the {where} parameter '{parameterName}' is not carried over; set it in the connector's headers if the API needs it.");
                    break;
            }
        }

        var bodyMethods = method is "post" or "put" or "patch";
        if (operation.TryGetProperty("requestBody", out var body))
        {
            body = Deref(root, body);
            if (bodyMethods && body.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json)
                && json.TryGetProperty("schema", out var bodySchema) && Schema(root, bodySchema, 0) is { } resolved
                && resolved["properties"] is JsonObject bodyProperties)
            {
                foreach (var (key, value) in bodyProperties.ToArray())
                {
                    if (properties.ContainsKey(key))
                    {
                        notes.Add($"Action {name}: the body field '{key}' has the name of a path or query parameter and is left out.");
                        continue;
                    }

                    bodyProperties.Remove(key);
                    properties[key] = value;
                }

                foreach (var item in resolved["required"] as JsonArray ?? [])
                {
                    if (item is JsonValue v && v.TryGetValue<string>(out var text) && properties.ContainsKey(text) && !required.Any(r => r!.GetValue<string>() == text))
                    {
                        required.Add(text);
                    }
                }
            }
            else
            {
                notes.Add($"Action {name}: its request body is not a JSON object and is not carried over.");
            }
        }

        var action = new JsonObject
        {
            ["method"] = method.ToUpperInvariant(),
            ["path"] = PathParameter().Replace(path, m => placeholders.TryGetValue(m.Groups["name"].Value, out var key) ? $"{{{{ params.{key} }}}}" : m.Value),
            ["params"] = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required },
        };
        if (required.Count == 0)
        {
            action["params"]!.AsObject().Remove("required");
        }

        if (query.Count > 0 && bodyMethods)
        {
            action["query"] = query;
        }

        var summary = operation.TryGetProperty("summary", out var sum) && sum.ValueKind == JsonValueKind.String ? sum.GetString()
            : operation.TryGetProperty("description", out var desc) && desc.ValueKind == JsonValueKind.String ? desc.GetString() : null;
        if (summary is not null)
        {
            action["description"] = summary;
        }

        return action;
    }

    /// <summary>An OpenAPI schema in the subset <see cref="ParamsSchema"/> checks: references followed, other keywords dropped.</summary>
    private static JsonObject Schema(JsonElement root, JsonElement schema, int depth)
    {
        schema = Deref(root, schema);
        var result = new JsonObject();
        if (schema.ValueKind != JsonValueKind.Object || depth > 8)
        {
            return result;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            if (!SchemaKeywords.Contains(keyword.Name, StringComparer.Ordinal))
            {
                continue;
            }

            switch (keyword.Name)
            {
                case "properties" when keyword.Value.ValueKind == JsonValueKind.Object:
                    var properties = new JsonObject();
                    foreach (var property in keyword.Value.EnumerateObject())
                    {
                        properties[property.Name] = Schema(root, property.Value, depth + 1);
                    }

                    result["properties"] = properties;
                    break;
                case "items":
                    result["items"] = Schema(root, keyword.Value, depth + 1);
                    break;
                case "additionalProperties" when keyword.Value.ValueKind == JsonValueKind.Object:
                    result["additionalProperties"] = Schema(root, keyword.Value, depth + 1);
                    break;
                case "type" when keyword.Value.ValueKind == JsonValueKind.String && schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True:
                    result["type"] = new JsonArray(keyword.Value.GetString(), "null");
                    break;
                case "exclusiveMinimum" or "exclusiveMaximum" when keyword.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    // OpenAPI 3.0 writes these as flags beside minimum/maximum.
                    if (keyword.Value.ValueKind == JsonValueKind.True && schema.TryGetProperty(keyword.Name == "exclusiveMinimum" ? "minimum" : "maximum", out var bound))
                    {
                        result[keyword.Name] = JsonNode.Parse(bound.GetRawText());
                    }

                    break;
                default:
                    result[keyword.Name] = JsonNode.Parse(keyword.Value.GetRawText());
                    break;
            }
        }

        if (result["exclusiveMinimum"] is not null)
        {
            result.Remove("minimum");
        }

        if (result["exclusiveMaximum"] is not null)
        {
            result.Remove("maximum");
        }

        if (result["required"] is JsonArray list && result["properties"] is JsonObject declared)
        {
            // Keep only names described under properties, as ParamsSchema asks.
            foreach (var item in list.ToArray())
            {
                if (item is not JsonValue v || !v.TryGetValue<string>(out var text) || !declared.ContainsKey(text))
                {
                    list.Remove(item);
                }
            }
        }
        else
        {
            result.Remove("required");
        }

        return result;
    }

    private static JsonObject? Auth(JsonElement root, string connectorName, List<string> notes)
    {
        if (!root.TryGetProperty("components", out var components) || !components.TryGetProperty("securitySchemes", out var schemes) || schemes.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? chosen = null;
        if (root.TryGetProperty("security", out var security) && security.ValueKind == JsonValueKind.Array)
        {
            chosen = security.EnumerateArray().SelectMany(s => s.ValueKind == JsonValueKind.Object ? s.EnumerateObject().Select(p => p.Name) : []).FirstOrDefault();
        }

        chosen ??= schemes.EnumerateObject().Select(s => s.Name).FirstOrDefault();
        if (chosen is null || !schemes.TryGetProperty(chosen, out var scheme))
        {
            return null;
        }

        scheme = Deref(root, scheme);
        var prefix = connectorName.Replace('-', '_');
        string Secret(string suffix) => $"{{{{ secrets.{prefix}_{suffix} }}}}";
        var type = scheme.TryGetProperty("type", out var t) ? t.GetString() : null;
        var httpScheme = scheme.TryGetProperty("scheme", out var hs) ? hs.GetString()?.ToLowerInvariant() : null;
        var name = scheme.TryGetProperty("name", out var n) ? n.GetString() : null;
        var where = scheme.TryGetProperty("in", out var i) ? i.GetString() : null;
        switch (type)
        {
            case "http" when httpScheme == "bearer":
                return new JsonObject { ["type"] = AuthTypes.Bearer, ["token"] = Secret("token") };
            case "http" when httpScheme == "basic":
                return new JsonObject { ["type"] = AuthTypes.Basic, ["username"] = Secret("username"), ["password"] = Secret("password") };
            case "apiKey" when name is not null && where is "header" or "query":
                return new JsonObject { ["type"] = where == "header" ? AuthTypes.Header : AuthTypes.Query, ["name"] = name, ["value"] = Secret("key") };
            case "oauth2" when scheme.TryGetProperty("flows", out var flows) && flows.TryGetProperty("clientCredentials", out var flow)
                && flow.TryGetProperty("tokenUrl", out var tokenUrl) && tokenUrl.ValueKind == JsonValueKind.String:
                var auth = new JsonObject
                {
                    ["type"] = AuthTypes.OAuth2,
                    ["tokenUrl"] = tokenUrl.GetString(),
                    ["clientId"] = Secret("client_id"),
                    ["clientSecret"] = Secret("client_secret"),
                };
                if (flow.TryGetProperty("scopes", out var scopes) && scopes.ValueKind == JsonValueKind.Object && scopes.EnumerateObject().Any())
                {
                    auth["scope"] = string.Join(' ', scopes.EnumerateObject().Select(s => s.Name));
                }

                return auth;
            default:
                notes.Add($"The security scheme '{chosen}' ({type}) has no matching connector auth; add auth to the connector yourself.");
                return null;
        }
    }

    private static JsonElement Deref(JsonElement root, JsonElement element)
    {
        for (var hops = 0; hops < 16 && element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var reference)
            && reference.ValueKind == JsonValueKind.String && reference.GetString()!.StartsWith("#/", StringComparison.Ordinal); hops++)
        {
            var target = root;
            foreach (var segment in reference.GetString()![2..].Split('/'))
            {
                var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty(key, out target))
                {
                    return default;
                }
            }

            element = target;
        }

        return element;
    }

    private static string Identifier(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        var name = Underscores().Replace(builder.ToString(), "_").Trim('_');
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            name = "_" + name;
        }

        return name.Length > 64 ? name[..64] : name;
    }

    [GeneratedRegex(@"\{(?<name>[^{}]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex PathParameter();

    [GeneratedRegex("_+", RegexOptions.CultureInvariant)]
    private static partial Regex Underscores();
}
