using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Validation;

namespace Flowkit.Definitions.Connectors;

/// <summary>
/// The parameter schema of a connector action: a JSON Schema object in the subset Flowkit checks in plain words
/// (docs/integrations.md): <c>type</c>, <c>properties</c>, <c>required</c>, <c>enum</c>, <c>const</c>, <c>default</c>,
/// <c>items</c>, <c>minimum</c>/<c>maximum</c> (and their exclusive forms), <c>minLength</c>/<c>maxLength</c>,
/// <c>pattern</c>, <c>minItems</c>/<c>maxItems</c>, <c>additionalProperties</c>, plus the annotations
/// <c>description</c>, <c>title</c>, <c>format</c>, <c>examples</c>. A schema using any other keyword is refused when
/// the connector is saved, so nothing written there is silently ignored. The action's own parameters (the top level)
/// refuse names the schema does not list unless it says <c>additionalProperties: true</c>, so a misspelt parameter
/// is caught when the workflow is saved.
/// </summary>
public static partial class ParamsSchema
{
    private static readonly string[] Types = ["string", "number", "integer", "boolean", "object", "array", "null"];

    private static readonly string[] Keywords =
    [
        "type", "properties", "required", "enum", "const", "default", "items", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "additionalProperties",
        "description", "title", "format", "examples", "$schema",
    ];

    /// <summary>Checks that <paramref name="schema"/> is a parameter schema Flowkit can apply; problems go to <paramref name="errors"/>.</summary>
    public static void Check(JsonElement schema, string path, ICollection<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"'params' must be a JSON Schema object, like {{type: object, properties: {{title: {{type: string}}}}, required: [title]}}, but it is {DefinitionReader.Describe(schema)}."));
            return;
        }

        if (schema.TryGetProperty("type", out var type) && !(type.ValueKind == JsonValueKind.String && type.GetString() == "object"))
        {
            errors.Add(new(JsonPath.Property(path, "type"), "An action's parameters are named: 'params' must have type: object, with each parameter under 'properties'."));
        }

        CheckNode(schema, path, errors, 0);
    }

    /// <summary>
    /// Checks <paramref name="value"/> against <paramref name="schema"/> (already <see cref="Check"/>ed). A string holding
    /// <c>{{ }}</c> is only known when the step runs, so with <paramref name="deferTemplates"/> it is not checked here.
    /// </summary>
    public static void Validate(JsonElement schema, JsonElement value, string path, bool deferTemplates, ICollection<ValidationError> errors, string action)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ValidateNode(schema, value, path, deferTemplates, errors, top: true, action);
    }

    /// <summary>Fills in the <c>default</c> of each parameter (and nested property) that <paramref name="value"/> leaves out.</summary>
    public static void ApplyDefaults(JsonElement schema, JsonObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in properties.EnumerateObject())
        {
            if (!value.ContainsKey(property.Name))
            {
                if (property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("default", out var fallback))
                {
                    value[property.Name] = JsonNode.Parse(fallback.GetRawText());
                }
            }
            else if (value[property.Name] is JsonObject nested)
            {
                ApplyDefaults(property.Value, nested);
            }
        }
    }

    /// <summary>The names under <c>properties</c>, in the order written.</summary>
    public static IReadOnlyList<string> PropertyNames(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? properties.EnumerateObject().Select(p => p.Name).ToArray()
            : [];

    /// <summary>The names under <c>required</c>.</summary>
    public static IReadOnlyList<string> RequiredNames(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array
            ? required.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToArray()
            : [];

    private static void CheckNode(JsonElement schema, string path, ICollection<ValidationError> errors, int depth)
    {
        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"A schema must be a group of settings like {{type: string}}, but it is {DefinitionReader.Describe(schema)}."));
            return;
        }

        if (depth > 16)
        {
            errors.Add(new(path, "The schema is nested more than 16 levels deep."));
            return;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            var at = JsonPath.Property(path, keyword.Name);
            var value = keyword.Value;
            switch (keyword.Name)
            {
                case "type":
                    var names = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value];
                    foreach (var name in names)
                    {
                        if (name.ValueKind != JsonValueKind.String || !Types.Contains(name.GetString(), StringComparer.Ordinal))
                        {
                            var text = name.ValueKind == JsonValueKind.String ? name.GetString()! : DefinitionReader.Describe(name);
                            errors.Add(new(at, $"'{text}' is not a JSON Schema type. Use one of {string.Join(", ", Types)}.{Suggestions.DidYouMean(text, Types)}"));
                        }
                    }

                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add(new(at, $"'properties' must be a group of parameter schemas, like {{title: {{type: string}}}}, but it is {DefinitionReader.Describe(value)}."));
                        break;
                    }

                    foreach (var property in value.EnumerateObject())
                    {
                        CheckNode(property.Value, JsonPath.Property(at, property.Name), errors, depth + 1);
                    }

                    break;
                case "items":
                case "additionalProperties" when value.ValueKind == JsonValueKind.Object:
                    CheckNode(value, at, errors, depth + 1);
                    break;
                case "additionalProperties":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        errors.Add(new(at, $"'additionalProperties' must be true, false or a schema, but it is {DefinitionReader.Describe(value)}."));
                    }

                    break;
                case "required":
                    CheckRequired(schema, value, at, errors);
                    break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                    {
                        errors.Add(new(at, $"'enum' must be a list of the allowed values, like [open, closed], but it is {DefinitionReader.Describe(value)}."));
                    }

                    break;
                case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                    if (value.ValueKind != JsonValueKind.Number)
                    {
                        errors.Add(new(at, $"'{keyword.Name}' must be a number, but it is {DefinitionReader.Describe(value)}."));
                    }

                    break;
                case "minLength" or "maxLength" or "minItems" or "maxItems":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var count) || count < 0)
                    {
                        errors.Add(new(at, $"'{keyword.Name}' must be a whole number of 0 or more, but it is {DefinitionReader.Describe(value)}."));
                    }

                    break;
                case "pattern":
                    CheckPattern(value, at, errors);
                    break;
                case "description" or "title" or "format" or "$schema":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(new(at, $"'{keyword.Name}' must be text, but it is {DefinitionReader.Describe(value)}."));
                    }

                    break;
                case "default" or "const" or "examples":
                    break;
                default:
                    errors.Add(new(at, $"'{keyword.Name}' is not a JSON Schema keyword Flowkit checks. Use {string.Join(", ", Keywords.Where(k => k != "$schema"))}.{Suggestions.DidYouMean(keyword.Name, Keywords)}"));
                    break;
            }
        }
    }

    private static void CheckRequired(JsonElement schema, JsonElement value, string at, ICollection<ValidationError> errors)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
        {
            errors.Add(new(at, $"'required' must be a list of parameter names, like [title], but it is {DefinitionReader.Describe(value)}."));
            return;
        }

        var declared = PropertyNames(schema);
        var index = 0;
        foreach (var name in value.EnumerateArray())
        {
            var text = name.GetString()!;
            if (!declared.Contains(text, StringComparer.Ordinal))
            {
                errors.Add(new(JsonPath.Item(at, index), $"'{text}' is required but not described under 'properties'.{Suggestions.DidYouMean(text, declared)}"));
            }

            index++;
        }
    }

    private static void CheckPattern(JsonElement value, string at, ICollection<ValidationError> errors)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(at, $"'pattern' must be a regular expression as text, but it is {DefinitionReader.Describe(value)}."));
            return;
        }

        try
        {
            _ = new Regex(value.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            errors.Add(new(at, $"'pattern' is not a regular expression: {e.Message}"));
        }
    }

    private static void ValidateNode(JsonElement schema, JsonElement value, string path, bool deferTemplates, ICollection<ValidationError> errors, bool top, string action)
    {
        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add(new(path, "No value is allowed here."));
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (deferTemplates && value.ValueKind == JsonValueKind.String && TemplateText.HasTemplate(value.GetString()!))
        {
            return;
        }

        if (schema.TryGetProperty("type", out var type) && !MatchesType(type, value))
        {
            var wanted = type.ValueKind == JsonValueKind.Array
                ? string.Join(" or ", type.EnumerateArray().Select(t => TypeWords(t.GetString())))
                : TypeWords(type.GetString());
            errors.Add(new(path, $"{Subject(path, top)} must be {wanted}, but it is {DefinitionReader.Describe(value)}."));
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            var choices = allowed.EnumerateArray().Select(Show).ToArray();
            var hint = value.ValueKind == JsonValueKind.String ? Suggestions.DidYouMean(value.GetString()!, choices) : string.Empty;
            errors.Add(new(path, $"{Subject(path, top)} must be one of {string.Join(", ", choices)}, but it is {Show(value)}.{hint}"));
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            errors.Add(new(path, $"{Subject(path, top)} must be {Show(constant)}, but it is {Show(value)}."));
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                ValidateObject(schema, value, path, deferTemplates, errors, top, action);
                break;
            case JsonValueKind.Array:
                ValidateArray(schema, value, path, deferTemplates, errors, action);
                break;
            case JsonValueKind.String:
                ValidateString(schema, value.GetString()!, path, errors);
                break;
            case JsonValueKind.Number:
                ValidateNumber(schema, value.GetDouble(), path, errors);
                break;
        }
    }

    private static void ValidateObject(JsonElement schema, JsonElement value, string path, bool deferTemplates, ICollection<ValidationError> errors, bool top, string action)
    {
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var declared = PropertyNames(schema);
        foreach (var name in RequiredNames(schema))
        {
            if (!value.TryGetProperty(name, out var present) || present.ValueKind == JsonValueKind.Null)
            {
                var about = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var s) ? About(s) : string.Empty;
                errors.Add(new(JsonPath.Property(path, name), top
                    ? $"Action {action} needs the parameter '{name}'{about}."
                    : $"'{name}' is required here{about}."));
            }
        }

        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            var at = JsonPath.Property(path, property.Name);
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var own))
            {
                ValidateNode(own, property.Value, at, deferTemplates, errors, top: false, action);
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                ValidateNode(additional, property.Value, at, deferTemplates, errors, top: false, action);
            }
            else if (additional.ValueKind == JsonValueKind.False || (top && additional.ValueKind != JsonValueKind.True))
            {
                var known = declared.Count == 0 ? "it takes no parameters" : $"its parameters are {string.Join(", ", declared)}";
                errors.Add(new(at, top
                    ? $"Action {action} has no parameter '{property.Name}'; {known}.{Suggestions.DidYouMean(property.Name, declared)}"
                    : $"'{property.Name}' is not allowed here; allowed: {string.Join(", ", declared)}.{Suggestions.DidYouMean(property.Name, declared)}"));
            }
        }
    }

    private static void ValidateArray(JsonElement schema, JsonElement value, string path, bool deferTemplates, ICollection<ValidationError> errors, string action)
    {
        var length = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && min.TryGetInt32(out var least) && length < least)
        {
            errors.Add(new(path, $"{Subject(path, false)} needs at least {least} item(s), but it has {length}."));
        }

        if (schema.TryGetProperty("maxItems", out var max) && max.TryGetInt32(out var most) && length > most)
        {
            errors.Add(new(path, $"{Subject(path, false)} takes at most {most} item(s), but it has {length}."));
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                ValidateNode(items, item, JsonPath.Item(path, index++), deferTemplates, errors, top: false, action);
            }
        }
    }

    private static void ValidateString(JsonElement schema, string text, string path, ICollection<ValidationError> errors)
    {
        var length = new StringInfo(text).LengthInTextElements;
        if (schema.TryGetProperty("minLength", out var min) && min.TryGetInt32(out var least) && length < least)
        {
            errors.Add(new(path, $"{Subject(path, false)} must be at least {least} character(s) long, but it has {length}."));
        }

        if (schema.TryGetProperty("maxLength", out var max) && max.TryGetInt32(out var most) && length > most)
        {
            errors.Add(new(path, $"{Subject(path, false)} must be at most {most} character(s) long, but it has {length}."));
        }

        if (schema.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.String)
        {
            bool matches;
            try
            {
                matches = Regex.IsMatch(text, pattern.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (RegexMatchTimeoutException)
            {
                matches = false;
            }

            if (!matches)
            {
                errors.Add(new(path, $"{Subject(path, false)} must match the pattern {pattern.GetString()}, but it is \"{text}\"."));
            }
        }
    }

    private static void ValidateNumber(JsonElement schema, double number, string path, ICollection<ValidationError> errors)
    {
        if (schema.TryGetProperty("minimum", out var min) && min.ValueKind == JsonValueKind.Number && number < min.GetDouble())
        {
            errors.Add(new(path, $"{Subject(path, false)} must be at least {min.GetRawText()}, but it is {number.ToString(CultureInfo.InvariantCulture)}."));
        }

        if (schema.TryGetProperty("maximum", out var max) && max.ValueKind == JsonValueKind.Number && number > max.GetDouble())
        {
            errors.Add(new(path, $"{Subject(path, false)} must be at most {max.GetRawText()}, but it is {number.ToString(CultureInfo.InvariantCulture)}."));
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var emin) && emin.ValueKind == JsonValueKind.Number && number <= emin.GetDouble())
        {
            errors.Add(new(path, $"{Subject(path, false)} must be more than {emin.GetRawText()}, but it is {number.ToString(CultureInfo.InvariantCulture)}."));
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var emax) && emax.ValueKind == JsonValueKind.Number && number >= emax.GetDouble())
        {
            errors.Add(new(path, $"{Subject(path, false)} must be less than {emax.GetRawText()}, but it is {number.ToString(CultureInfo.InvariantCulture)}."));
        }
    }

    private static bool MatchesType(JsonElement type, JsonElement value) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => Matches(t.GetString(), value))
        : Matches(type.GetString(), value);

    private static bool Matches(string? type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) && d == decimal.Truncate(d),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    private static string TypeWords(string? type) => type switch
    {
        "string" => "text",
        "number" => "a number",
        "integer" => "a whole number",
        "boolean" => "true or false",
        "object" => "a group of settings",
        "array" => "a list",
        "null" => "empty",
        _ => type ?? "?",
    };

    private static string About(JsonElement schema)
    {
        var type = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? TypeWords(t.GetString()) : null;
        var description = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return (type, description) switch
        {
            (null, null) => string.Empty,
            (not null, null) => $" ({type})",
            (null, not null) => $" ({description})",
            _ => $" ({type}: {description})",
        };
    }

    private static string Subject(string path, bool top) => top ? "The parameters" : $"'{LastName(path)}'";

    private static string LastName(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? path : path[(dot + 1)..];
    }

    private static string Show(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
