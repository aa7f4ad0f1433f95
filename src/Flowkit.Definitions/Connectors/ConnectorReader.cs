using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Reading;
using Flowkit.Definitions.Secrets;
using Flowkit.Definitions.Validation;

namespace Flowkit.Definitions.Connectors;

/// <summary>
/// Reads a connector document (YAML or JSON; docs/integrations.md) and checks it as workflows are checked: every
/// problem at once, each with the JSON path of the field. A valid document is returned as canonical JSON (keys sorted),
/// so an identical PUT is recognised whatever its format, key order or spacing.
/// </summary>
public sealed partial class ConnectorReader(ExpressionEngine expressions)
{
    /// <summary>Most actions one connector may have.</summary>
    public const int MaxActions = 200;

    /// <summary>The authentication kinds and the fields each takes.</summary>
    public static IReadOnlyDictionary<string, string[]> AuthFields { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [AuthTypes.Header] = ["type", "name", "value"],
        [AuthTypes.Bearer] = ["type", "token"],
        [AuthTypes.Basic] = ["type", "username", "password"],
        [AuthTypes.Query] = ["type", "name", "value"],
        [AuthTypes.OAuth2] = ["type", "tokenUrl", "clientId", "clientSecret", "scope"],
    };

    internal static readonly string[] TopKeys = ["description", "baseUrl", "auth", "headers", "actions"];
    internal static readonly string[] ActionKeys = ["description", "method", "path", "params", "query", "output"];

    /// <summary>Auth fields that are credentials: they must be exactly one <c>{{ secrets.name }}</c>.</summary>
    private static readonly string[] CredentialFields = ["value", "token", "password", "clientSecret"];

    /// <summary>Whether <paramref name="name"/> is a connector name: the pattern of workflow names.</summary>
    public static bool IsValidName(string name) => DefinitionReader.NamePattern().IsMatch(name);

    /// <summary>Reads and checks <paramref name="text"/>.</summary>
    public ConnectorReading Read(string text, DocumentFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonDocument document;
        try
        {
            document = format == DocumentFormat.Yaml ? YamlDocumentReader.Read(text, DefinitionLimits.Default, cancellationToken) : JsonDocumentReader.Read(text);
        }
        catch (DocumentFormatException e)
        {
            return new ConnectorReading(null, [new ValidationError(JsonPath.Root, e.Message)]);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    /// <summary>Reads and checks a connector already parsed as JSON (an OpenAPI import is checked this way).</summary>
    public ConnectorReading Read(JsonElement root)
    {
        var errors = new List<ValidationError>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(JsonPath.Root, $"A connector is a group of settings: {{baseUrl, auth?, actions: {{...}}}}, but this is {DefinitionReader.Describe(root)}."));
            return new ConnectorReading(null, errors);
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!TopKeys.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new(JsonPath.Property(JsonPath.Root, property.Name),
                    $"'{property.Name}' is not a connector setting; the settings are {string.Join(", ", TopKeys)}.{Suggestions.DidYouMean(property.Name, TopKeys)}"));
            }
        }

        if (root.TryGetProperty("description", out var description) && description.ValueKind != JsonValueKind.String)
        {
            errors.Add(new("$.description", $"The description must be text, but it is {DefinitionReader.Describe(description)}."));
        }

        if (!root.TryGetProperty("baseUrl", out var baseUrl))
        {
            errors.Add(new("$.baseUrl", "The connector has no baseUrl. Give the address every action's path is added to, like baseUrl: https://api.github.com."));
        }
        else
        {
            CheckAddress(baseUrl, "$.baseUrl", "The baseUrl", errors);
        }

        if (root.TryGetProperty("auth", out var auth) && auth.ValueKind != JsonValueKind.Null)
        {
            ReadAuth(auth, errors);
        }

        if (root.TryGetProperty("headers", out var headers))
        {
            ReadHeaders(headers, errors);
        }

        if (!root.TryGetProperty("actions", out var actions))
        {
            errors.Add(new("$.actions", "The connector has no actions. Add at least one, like actions: { create_issue: { method: POST, path: /issues } }."));
        }
        else
        {
            ReadActions(actions, errors);
        }

        return errors.Count > 0 ? new ConnectorReading(null, errors) : new ConnectorReading(SortedJson.Write(root), []);
    }

    private static void CheckAddress(JsonElement value, string path, string what, List<ValidationError> errors)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(path, $"{what} must be text, but it is {DefinitionReader.Describe(value)}."));
            return;
        }

        var text = value.GetString()!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || TemplateText.HasTemplate(text))
        {
            errors.Add(new(path, $"{what} '{text}' is not a full http or https address without a query, like https://api.example.com/v1."));
        }
    }

    private void ReadAuth(JsonElement auth, List<ValidationError> errors)
    {
        if (auth.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$.auth", $"'auth' must be a group of settings with a type ({string.Join(", ", AuthFields.Keys)}), but it is {DefinitionReader.Describe(auth)}."));
            return;
        }

        if (!auth.TryGetProperty("type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
        {
            errors.Add(new("$.auth.type", $"'auth' needs a type: one of {string.Join(", ", AuthFields.Keys)}."));
            return;
        }

        var type = typeValue.GetString()!;
        if (!AuthFields.TryGetValue(type, out var fields))
        {
            errors.Add(new("$.auth.type", $"'{type}' is not an authentication kind Flowkit knows. Use one of {string.Join(", ", AuthFields.Keys)}.{Suggestions.DidYouMean(type, AuthFields.Keys)}"));
            return;
        }

        foreach (var property in auth.EnumerateObject())
        {
            if (!fields.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new(JsonPath.Property("$.auth", property.Name),
                    $"'{property.Name}' is not a setting of {type} authentication; it takes {string.Join(", ", fields.Skip(1))}.{Suggestions.DidYouMean(property.Name, fields)}"));
            }
        }

        foreach (var field in fields.Skip(1))
        {
            var path = JsonPath.Property("$.auth", field);
            if (!auth.TryGetProperty(field, out var value))
            {
                if (field != "scope")
                {
                    errors.Add(new(path, $"{type} authentication needs '{field}'{(CredentialFields.Contains(field) ? ", from a secret, like \"{{ secrets.api_token }}\"" : string.Empty)}."));
                }

                continue;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                errors.Add(new(path, $"'{field}' must be text, but it is {DefinitionReader.Describe(value)}."));
                continue;
            }

            var text = value.GetString()!;
            if (field == "tokenUrl")
            {
                CheckAddress(value, path, "The tokenUrl", errors);
            }
            else if (CredentialFields.Contains(field))
            {
                if (!SecretOnly().IsMatch(text) || !SecretNames.IsValid(SecretOnly().Match(text).Groups["name"].Value))
                {
                    errors.Add(new(path, $"'{field}' is a credential: write it as a secret, like \"{{{{ secrets.api_token }}}}\", and store the value with PUT /api/v1/secrets/api_token. It is never written in the connector itself."));
                }
            }
            else if (TemplateText.HasTemplate(text))
            {
                CheckTemplate(text, path, errors, secretsOnly: true);
            }
        }
    }

    private void ReadHeaders(JsonElement headers, List<ValidationError> errors)
    {
        if (headers.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$.headers", $"'headers' must be a group of name: value pairs sent with every action, like {{Accept: application/json}}, but it is {DefinitionReader.Describe(headers)}."));
            return;
        }

        foreach (var header in headers.EnumerateObject())
        {
            var path = JsonPath.Property("$.headers", header.Name);
            if (header.Value.ValueKind != JsonValueKind.String)
            {
                errors.Add(new(path, $"The value of header '{header.Name}' must be text, but it is {DefinitionReader.Describe(header.Value)}."));
            }
            else if (TemplateText.HasTemplate(header.Value.GetString()!))
            {
                CheckTemplate(header.Value.GetString()!, path, errors, secretsOnly: true);
            }
        }
    }

    private void ReadActions(JsonElement actions, List<ValidationError> errors)
    {
        if (actions.ValueKind != JsonValueKind.Object || !actions.EnumerateObject().Any())
        {
            errors.Add(new("$.actions", $"'actions' must be a group of named actions, like {{create_issue: {{method: POST, path: /issues}}}}, but it is {DefinitionReader.Describe(actions)}."));
            return;
        }

        var count = 0;
        foreach (var action in actions.EnumerateObject())
        {
            var path = JsonPath.Property("$.actions", action.Name);
            if (++count > MaxActions)
            {
                errors.Add(new(path, $"A connector has at most {MaxActions} actions; split it into several connectors."));
                return;
            }

            if (!DefinitionReader.StepIdPattern().IsMatch(action.Name))
            {
                errors.Add(new(path, $"The action name '{action.Name}' is not allowed. Use letters, digits and underscores, starting with a letter or underscore, like create_issue."));
            }

            ReadAction(action.Name, action.Value, path, errors);
        }
    }

    private void ReadAction(string name, JsonElement action, string path, List<ValidationError> errors)
    {
        if (action.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"Action {name} must be a group of settings ({{method, path, params, query?, output?}}), but it is {DefinitionReader.Describe(action)}."));
            return;
        }

        foreach (var property in action.EnumerateObject())
        {
            if (!ActionKeys.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new(JsonPath.Property(path, property.Name),
                    $"'{property.Name}' is not an action setting; the settings are {string.Join(", ", ActionKeys)}.{Suggestions.DidYouMean(property.Name, ActionKeys)}"));
            }
        }

        if (!action.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String
            || !DefinitionReader.HttpMethods.Contains(method.GetString(), StringComparer.Ordinal))
        {
            errors.Add(new(JsonPath.Property(path, "method"), $"Action {name} needs a method: one of {string.Join(", ", DefinitionReader.HttpMethods)}, in capitals."));
        }

        var schema = action.TryGetProperty("params", out var p) ? p : default;
        if (schema.ValueKind != JsonValueKind.Undefined)
        {
            ParamsSchema.Check(schema, JsonPath.Property(path, "params"), errors);
        }

        var declared = schema.ValueKind == JsonValueKind.Object ? ParamsSchema.PropertyNames(schema) : [];
        var required = schema.ValueKind == JsonValueKind.Object ? ParamsSchema.RequiredNames(schema) : [];
        var inPath = new List<string>();
        if (!action.TryGetProperty("path", out var pathValue) || pathValue.ValueKind != JsonValueKind.String || !pathValue.GetString()!.StartsWith('/'))
        {
            errors.Add(new(JsonPath.Property(path, "path"), $"Action {name} needs a path starting with /, added to the baseUrl, like /repos/{{{{ params.owner }}}}/{{{{ params.repo }}}}/issues."));
        }
        else
        {
            ReadPath(name, pathValue.GetString()!, JsonPath.Property(path, "path"), declared, required, inPath, errors);
        }

        if (action.TryGetProperty("query", out var query))
        {
            ReadQuery(name, query, JsonPath.Property(path, "query"), declared, inPath, errors);
        }

        if (action.TryGetProperty("output", out var output))
        {
            var at = JsonPath.Property(path, "output");
            if (output.ValueKind != JsonValueKind.String || output.GetString()!.Trim().Length == 0)
            {
                errors.Add(new(at, $"'output' must be an expression over the response as text, like response.body.id, but it is {DefinitionReader.Describe(output)}."));
            }
            else
            {
                var parsed = expressions.ParseExpression(output.GetString()!);
                if (parsed.Error is not null)
                {
                    errors.Add(new(at, parsed.Error));
                }
            }
        }

        if (action.TryGetProperty("description", out var description) && description.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(JsonPath.Property(path, "description"), $"The description must be text, but it is {DefinitionReader.Describe(description)}."));
        }
    }

    private static void ReadPath(string name, string text, string at, IReadOnlyList<string> declared, IReadOnlyList<string> required, List<string> inPath, List<ValidationError> errors)
    {
        var rest = Placeholder().Replace(text, match =>
        {
            var param = match.Groups["name"].Value;
            inPath.Add(param);
            if (!declared.Contains(param, StringComparer.Ordinal))
            {
                errors.Add(new(at, $"The path of action {name} uses params.{param}, which is not among its params.{Suggestions.DidYouMean(param, declared)} Describe it under params.properties and list it in required."));
            }
            else if (!required.Contains(param, StringComparer.Ordinal))
            {
                errors.Add(new(at, $"The path of action {name} uses params.{param}; list '{param}' in params.required, since the address cannot be made without it."));
            }

            return string.Empty;
        });
        if (rest.Contains("{{", StringComparison.Ordinal) || rest.Contains("}}", StringComparison.Ordinal))
        {
            errors.Add(new(at, $"The path of action {name} may only hold placeholders of the form {{{{ params.name }}}}."));
        }
    }

    private static void ReadQuery(string name, JsonElement query, string at, IReadOnlyList<string> declared, List<string> inPath, List<ValidationError> errors)
    {
        if (query.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(at, $"'query' must list the parameters sent in the query string, like [state, per_page], but it is {DefinitionReader.Describe(query)}."));
            return;
        }

        var index = 0;
        foreach (var item in query.EnumerateArray())
        {
            var path = JsonPath.Item(at, index++);
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
            if (text is null || !declared.Contains(text, StringComparer.Ordinal))
            {
                errors.Add(new(path, $"'query' of action {name} names '{text ?? DefinitionReader.Describe(item)}', which is not among its params.{(text is null ? string.Empty : Suggestions.DidYouMean(text, declared))}"));
            }
            else if (inPath.Contains(text, StringComparer.Ordinal))
            {
                errors.Add(new(path, $"'{text}' is already in the path of action {name}; a parameter goes to one place."));
            }
        }
    }

    private void CheckTemplate(string text, string path, List<ValidationError> errors, bool secretsOnly)
    {
        var template = expressions.ParseTemplate(text);
        if (template.Error is not null)
        {
            errors.Add(new(path, template.Error));
            return;
        }

        if (secretsOnly && template.Expressions.Any(e => !SecretExpression().IsMatch(e.Text.Trim())))
        {
            errors.Add(new(path, "Only secrets can be read here, like \"{{ secrets.api_token }}\": a connector is the same for every run."));
        }
    }

    /// <summary>A path placeholder, <c>{{ params.name }}</c>, with the parameter's name in the group <c>name</c>.</summary>
    [GeneratedRegex(@"\{\{\s*params\.(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}", RegexOptions.CultureInvariant)]
    public static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*\{\{\s*secrets\.(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOnly();

    [GeneratedRegex(@"^secrets\.[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretExpression();
}
