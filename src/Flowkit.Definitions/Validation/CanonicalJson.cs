using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Validation;

/// <summary>
/// The canonical text of a valid definition: compact JSON, settings in the order the language documents them
/// (name, description, triggers, ...; id, type, needs, ...), free-form objects (<c>with</c> of a transform,
/// headers, bodies) with keys sorted ordinally, whole numbers without fractions, a single id in
/// <c>needs</c>/<c>then</c>/<c>else</c> written as a list. Equal definitions give equal text whatever their format,
/// key order or spacing, and canonicalizing canonical text changes nothing.
/// </summary>
internal static class CanonicalJson
{
    private static readonly string[] StepOrder =
        ["id", "type", "description", "needs", "if", "then", "else", "message", "for", "until", "with", "timeout", "retry", "continueOnError"];

    private static readonly Shape IdList = new([]) { IsIdList = true };
    private static readonly Shape Retry = new(DefinitionReader.RetryKeys);
    private static readonly Shape Trigger = new(["webhook", "cron"])
    {
        Children = { ["webhook"] = new Shape(DefinitionReader.WebhookKeys), ["cron"] = new Shape(DefinitionReader.CronKeys) },
    };

    private static readonly Dictionary<string, Shape> WithByType = new(StringComparer.Ordinal)
    {
        [StepTypes.Http] = new Shape(DefinitionReader.HttpWithKeys),
        [StepTypes.Notify] = new Shape(DefinitionReader.NotifyWithKeys),
        [StepTypes.Script] = new Shape(DefinitionReader.ScriptWithKeys),
        [StepTypes.Connector] = new Shape(DefinitionReader.ConnectorWithKeys),
    };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Stored and compared, never embedded in HTML: keep non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(JsonElement root)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteRoot(writer, root);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteRoot(Utf8JsonWriter writer, JsonElement root)
    {
        writer.WriteStartObject();
        foreach (var property in Ordered(root, DefinitionReader.TopLevelKeys))
        {
            writer.WritePropertyName(property.Name);
            switch (property.Name)
            {
                case "triggers":
                    WriteArray(writer, property.Value, Trigger);
                    break;
                case "concurrency":
                    WriteValue(writer, property.Value, new Shape(DefinitionReader.ConcurrencyKeys));
                    break;
                case "steps":
                    writer.WriteStartArray();
                    foreach (var step in property.Value.EnumerateArray())
                    {
                        WriteStep(writer, step);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    WriteValue(writer, property.Value, null);
                    break;
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteStep(Utf8JsonWriter writer, JsonElement step)
    {
        var type = step.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : string.Empty;
        writer.WriteStartObject();
        foreach (var property in Ordered(step, StepOrder))
        {
            writer.WritePropertyName(property.Name);
            var shape = property.Name switch
            {
                "needs" or "then" or "else" => IdList,
                "retry" => Retry,
                "with" => WithByType.GetValueOrDefault(type),
                _ => null,
            };
            WriteValue(writer, property.Value, shape);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement value, Shape? shape)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in Ordered(value, shape?.Order ?? []))
                {
                    writer.WritePropertyName(property.Name);
                    WriteValue(writer, property.Value, shape?.Children.GetValueOrDefault(property.Name));
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                WriteArray(writer, value, null);
                break;
            case JsonValueKind.String when shape?.IsIdList == true:
                writer.WriteStartArray();
                writer.WriteStringValue(value.GetString());
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, value);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, JsonElement array, Shape? items)
    {
        writer.WriteStartArray();
        foreach (var item in array.EnumerateArray())
        {
            WriteValue(writer, item, items);
        }

        writer.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter writer, JsonElement number)
    {
        if (number.TryGetInt64(out var whole))
        {
            writer.WriteNumberValue(whole);
            return;
        }

        var real = number.GetDouble();
        if (Math.Floor(real) == real && Math.Abs(real) < 9.2e18)
        {
            writer.WriteNumberValue((long)real);
            return;
        }

        writer.WriteNumberValue(real);
    }

    /// <summary>Known keys in their documented order, then any others sorted ordinally.</summary>
    private static IEnumerable<JsonProperty> Ordered(JsonElement element, string[] order)
    {
        var properties = element.EnumerateObject().ToList();
        foreach (var key in order)
        {
            foreach (var property in properties)
            {
                if (property.NameEquals(key))
                {
                    yield return property;
                    break;
                }
            }
        }

        foreach (var property in properties.Where(p => !order.Contains(p.Name, StringComparer.Ordinal)).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            yield return property;
        }
    }

    private sealed class Shape(string[] order)
    {
        public string[] Order { get; } = order;

        public Dictionary<string, Shape> Children { get; } = new(StringComparer.Ordinal);

        public bool IsIdList { get; init; }
    }
}
