using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;

namespace Flowkit.Definitions.Expressions;

/// <summary>Converts between System.Text.Json values and JavaScript values with JSON semantics.</summary>
internal static class JsonBridge
{
    public static JsValue ToJs(Engine engine, JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined => JsValue.Undefined,
        JsonValueKind.Null => JsValue.Null,
        JsonValueKind.True => JsBoolean.True,
        JsonValueKind.False => JsBoolean.False,
        JsonValueKind.String => new JsString(element.GetString()!),
        JsonValueKind.Number => new JsNumber(element.GetDouble()),
        _ => new JsonParser(engine).Parse(element.GetRawText()),
    };

    public static JsonNode? ToNode(SizeGuards guards, JsValue value)
    {
        if (value.IsUndefined() || value.IsNull())
        {
            return null;
        }

        if (value.IsBoolean())
        {
            return JsonValue.Create(value.AsBoolean());
        }

        if (value.IsString())
        {
            return JsonValue.Create(value.AsString());
        }

        if (value.IsNumber())
        {
            return Number(value.AsNumber());
        }

        if (value.IsBigInt())
        {
            throw new InvalidResultException("a BigInt cannot be stored as JSON; convert it with Number() or String()");
        }

        if (!value.IsObject() || value.IsCallable())
        {
            // Functions and symbols have no JSON form: JSON.stringify drops them too.
            return null;
        }

        var json = Serialize(guards, value);
        return json is null ? null : JsonNode.Parse(json);
    }

    /// <summary>How a value reads inside text: strings as they are, nothing for null and undefined, objects as JSON.</summary>
    public static string ToText(SizeGuards guards, JsValue value)
    {
        if (value.IsUndefined() || value.IsNull())
        {
            return string.Empty;
        }

        if (value.IsString())
        {
            return value.AsString();
        }

        if (value.IsDate())
        {
            return value.AsDate().ToDateTime().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        if (value.IsObject() && !value.IsCallable())
        {
            return Serialize(guards, value) ?? string.Empty;
        }

        if (value.IsBigInt() || value.IsSymbol())
        {
            return value.ToString();
        }

        return TypeConverter.ToString(value);
    }

    // Counted as it is written: many references to one big string must not become one huge text on the host.
    private static string? Serialize(SizeGuards guards, JsValue value)
    {
        var result = guards.Serialize(value);
        return result.IsUndefined() ? null : result.AsString();
    }

    private static JsonValue? Number(double number)
    {
        if (double.IsNaN(number) || double.IsInfinity(number))
        {
            return null;
        }

        // Whole numbers stay whole (1, not 1.0) as long as a double holds them exactly.
        const double exact = 9007199254740992d;
        if (Math.Floor(number) == number && Math.Abs(number) <= exact)
        {
            return JsonValue.Create((long)number);
        }

        return JsonValue.Create(number);
    }
}

/// <summary>The value an expression produced has no JSON form.</summary>
internal sealed class InvalidResultException : Exception
{
    public InvalidResultException()
    {
    }

    public InvalidResultException(string message)
        : base(message)
    {
    }

    public InvalidResultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
