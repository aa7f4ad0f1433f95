using Jint;
using Jint.Native;
using Jint.Native.Object;

namespace Flowkit.Definitions.Expressions;

internal static class JsValueChecks
{
    public static bool IsNullish(this JsValue value) => value.IsNull() || value.IsUndefined();

    // Jint's wrapper classes for new String(...) and new Number(...) are internal; JSON.stringify unwraps both, so
    // they are recognised by their class name (subclasses of String and Number use the same classes).
    public static bool IsStringObject(this JsValue value) => value is ObjectInstance && value.GetType().Name == "StringInstance";

    public static bool IsNumberObject(this JsValue value) => value is ObjectInstance && value.GetType().Name == "NumberInstance";
}
