using System.Globalization;
using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Error;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// Keeps every string one evaluation builds under <see cref="ExpressionOptions.MaxStringLength"/>, checked before
/// the string is allocated. Jint checks its memory limit between statements, so a built-in that makes a large
/// string from small inputs in one call (<c>'y'.repeat(1e8)</c>, <c>padStart</c>, <c>join</c> or <c>JSON.stringify</c>
/// over many references to one string, <c>replaceAll</c> with a long replacement) would allocate it before the
/// limit is looked at. Those built-ins are replaced, in each fresh engine, by versions that count as they build
/// and stop at the limit. Built-ins whose output is at most a small multiple of their input (slice, toUpperCase,
/// encodeURIComponent, split, ...) are left alone: their input is already bounded. Binary buffers (ArrayBuffer,
/// typed arrays, DataView, Atomics) are removed: their constructors allocate any size in one step. ShadowRealm is
/// removed: a second realm would have built-ins these guards do not cover.
/// </summary>
internal sealed class SizeGuards
{
    private static readonly string[] Removed =
    [
        "ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics", "ShadowRealm",
        "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
        "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
    ];

    private readonly Engine _engine;
    private readonly int _max;
    private readonly HashSet<ObjectInstance> _joining = new(ReferenceEqualityComparer.Instance);
    private readonly ErrorConstructor _rangeError;
    private readonly JsValue _stringify;
    private readonly JsValue _regExpReplace;
    private readonly JsValue _stringReplaceAll;

    private SizeGuards(Engine engine, int maxStringLength)
    {
        _engine = engine;
        _max = maxStringLength;
        var global = engine.Global;
        _rangeError = (ErrorConstructor)global.Get("RangeError");
        foreach (var name in Removed)
        {
            global.RemoveOwnProperty(name);
        }

        var stringConstructor = global.Get("String").AsObject();
        var stringPrototype = stringConstructor.Get("prototype").AsObject();
        var arrayPrototype = engine.Intrinsics.Array.PrototypeObject;
        var json = global.Get("JSON").AsObject();
        var regExpPrototype = global.Get("RegExp").AsObject().Get("prototype").AsObject();
        var replaceSymbol = global.Get("Symbol").AsObject().Get("replace");
        _stringify = json.Get("stringify");
        _regExpReplace = regExpPrototype.Get(replaceSymbol);
        _stringReplaceAll = stringPrototype.Get("replaceAll");

        Install(stringPrototype, "repeat", Repeat, 1);
        Install(stringPrototype, "padStart", (t, a) => Pad(t, a, atStart: true), 1);
        Install(stringPrototype, "padEnd", (t, a) => Pad(t, a, atStart: false), 1);
        Install(stringPrototype, "concat", Concat, 1);
        Install(stringPrototype, "replaceAll", ReplaceAll, 2);
        Install(stringConstructor, "raw", Raw, 1);
        Install(arrayPrototype, "join", Join, 1);
        Install(arrayPrototype, "toLocaleString", ToLocaleString, 0);
        Install(json, "stringify", Stringify, 3);
        var replace = new ClrFunction(engine, "[Symbol.replace]", RegExpReplace, 2, PropertyFlag.Configurable);
        regExpPrototype.FastSetProperty(replaceSymbol, new PropertyDescriptor(replace, PropertyFlag.NonEnumerable));
    }

    /// <summary>Replaces the amplifying built-ins of a fresh engine (before any user code runs).</summary>
    public static SizeGuards Install(Engine engine, int maxStringLength) => new(engine, maxStringLength);

    /// <summary>JSON text of <paramref name="value"/> as <c>JSON.stringify</c> makes it, refused before it outgrows the limit.</summary>
    public JsValue Serialize(JsValue value) =>
        new Jint.Native.Json.JsonSerializer(_engine).Serialize(value, Counter(JsValue.Undefined, JsValue.Undefined), JsValue.Undefined);

    /// <summary>Throws the limit error when a string of <paramref name="length"/> characters would be too long.</summary>
    public void Check(long length, string what)
    {
        if (length > _max)
        {
            // Not a JavaScript error: a script cannot catch it and carry on; the evaluation ends.
            throw new MemoryLimitExceededException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what} would make a string of {length:N0} characters; the limit is {_max:N0}"));
        }
    }

    private void Install(ObjectInstance target, string name, Func<JsValue, JsValue[], JsValue> body, int length)
    {
        var function = new ClrFunction(_engine, name, body, length, PropertyFlag.Configurable);
        target.FastSetProperty(name, new PropertyDescriptor(function, PropertyFlag.NonEnumerable));
    }

    private static JsValue Arg(JsValue[] arguments, int index) => index < arguments.Length ? arguments[index] : JsValue.Undefined;

    private string ThisString(JsValue thisObject, string method)
    {
        if (thisObject.IsNullish())
        {
            throw new JavaScriptException(_engine.Intrinsics.TypeError, $"String.prototype.{method} called on null or undefined");
        }

        return TypeConverter.ToString(thisObject);
    }

    private JsValue Repeat(JsValue thisObject, JsValue[] arguments)
    {
        var text = ThisString(thisObject, "repeat");
        var count = TypeConverter.ToIntegerOrInfinity(Arg(arguments, 0));
        if (count < 0 || double.IsPositiveInfinity(count))
        {
            throw new JavaScriptException(_rangeError, "Invalid count value: " + TypeConverter.ToString(Arg(arguments, 0)));
        }

        if (count == 0 || text.Length == 0)
        {
            return JsString.Empty;
        }

        Check((long)Math.Min(count * text.Length, long.MaxValue), "repeat");
        return new StringBuilder(text.Length * (int)count).Insert(0, text, (int)count).ToString();
    }

    private JsValue Pad(JsValue thisObject, JsValue[] arguments, bool atStart)
    {
        var text = ThisString(thisObject, atStart ? "padStart" : "padEnd");
        var target = TypeConverter.ToLength(Arg(arguments, 0));
        if (target <= (ulong)text.Length)
        {
            return text;
        }

        var fill = Arg(arguments, 1);
        var filler = fill.IsUndefined() ? " " : TypeConverter.ToString(fill);
        if (filler.Length == 0)
        {
            return text;
        }

        Check((long)Math.Min(target, long.MaxValue), atStart ? "padStart" : "padEnd");
        var padding = new StringBuilder((int)target);
        while (padding.Length < (int)target - text.Length)
        {
            padding.Append(filler);
        }

        padding.Length = (int)target - text.Length;
        return atStart ? padding.Append(text).ToString() : text + padding;
    }

    private JsValue Concat(JsValue thisObject, JsValue[] arguments)
    {
        var result = new StringBuilder(ThisString(thisObject, "concat"));
        foreach (var argument in arguments)
        {
            var part = TypeConverter.ToString(argument);
            Check((long)result.Length + part.Length, "concat");
            result.Append(part);
        }

        return result.ToString();
    }

    private JsValue Raw(JsValue thisObject, JsValue[] arguments)
    {
        var cooked = ToObject(Arg(arguments, 0));
        var literals = ToObject(cooked.Get("raw"));
        var count = TypeConverter.ToLength(literals.Get("length"));
        var result = new StringBuilder();
        for (ulong i = 0; i < count; i++)
        {
            Append(result, TypeConverter.ToString(literals.Get(i)), "String.raw");
            if (i + 1 == count)
            {
                break;
            }

            if ((int)i + 1 < arguments.Length)
            {
                Append(result, TypeConverter.ToString(arguments[(int)i + 1]), "String.raw");
            }
        }

        return result.ToString();
    }

    private JsValue Join(JsValue thisObject, JsValue[] arguments)
    {
        var array = ToObject(thisObject);
        var length = TypeConverter.ToLength(array.Get("length"));
        var separatorValue = Arg(arguments, 0);
        var separator = separatorValue.IsUndefined() ? "," : TypeConverter.ToString(separatorValue);
        return JoinWith(array, length, separator, static element => TypeConverter.ToString(element));
    }

    private JsValue ToLocaleString(JsValue thisObject, JsValue[] arguments)
    {
        var array = ToObject(thisObject);
        var length = TypeConverter.ToLength(array.Get("length"));
        return JoinWith(array, length, ",", element =>
        {
            var method = ToObject(element).Get("toLocaleString");
            return method.IsCallable()
                ? TypeConverter.ToString(method.Call(element, []))
                : throw new JavaScriptException(_engine.Intrinsics.TypeError, "toLocaleString is not a function");
        });
    }

    private string JoinWith(ObjectInstance array, ulong length, string separator, Func<JsValue, string> convert)
    {
        // A cycle (an array that contains itself) joins as empty text, as browsers and Jint do.
        if (length == 0 || !_joining.Add(array))
        {
            return string.Empty;
        }

        try
        {
            var result = new StringBuilder();
            for (ulong k = 0; k < length; k++)
            {
                if (k > 0)
                {
                    Append(result, separator, "join");
                }

                var element = array.Get(k);
                if (!element.IsNullish())
                {
                    Append(result, convert(element), "join");
                }
            }

            return result.ToString();
        }
        finally
        {
            _joining.Remove(array);
        }
    }

    private JsValue Stringify(JsValue thisObject, JsValue[] arguments)
    {
        var value = Arg(arguments, 0);
        var replacer = Arg(arguments, 1);
        var space = Arg(arguments, 2);
        return _stringify.Call(thisObject, [value, Counter(replacer, space), space]);
    }

    /// <summary>
    /// A replacer function that JSON.stringify calls for every key and value it writes (after toJSON), which adds
    /// up an upper bound of the text so far and stops the serialisation once it would pass the limit. It calls the
    /// user's replacer function first; for a replacer array (the keys to write, in their order) it hands the built-in
    /// a copy of each object with just those keys in that order, so every value is still counted exactly once.
    /// </summary>
    private ClrFunction Counter(JsValue replacer, JsValue space)
    {
        var userFunction = replacer.IsCallable() ? replacer : null;
        List<string>? allowed = null;
        if (userFunction is null && replacer is ObjectInstance list && list.IsArray())
        {
            allowed = [];
            var count = TypeConverter.ToLength(list.Get("length"));
            for (ulong i = 0; i < count; i++)
            {
                var item = list.Get(i);
                if (item.IsString() || item.IsNumber() || item.IsStringObject() || item.IsNumberObject())
                {
                    var key = TypeConverter.ToString(item);
                    if (!allowed.Contains(key))
                    {
                        allowed.Add(key);
                    }
                }
            }
        }

        var gap = GapLength(space);
        var depths = new Dictionary<ObjectInstance, int>(ReferenceEqualityComparer.Instance);
        long total = 0;
        return new ClrFunction(_engine, "replacer", (holder, args) =>
        {
            var key = TypeConverter.ToString(Arg(args, 0));
            var value = Arg(args, 1);
            var holderObject = holder as ObjectInstance;
            var inArray = holderObject?.IsArray() == true;
            if (userFunction is not null)
            {
                value = userFunction.Call(holder, [key, value]);
            }
            else if (allowed is not null && value is ObjectInstance source && IsPlainForJson(source))
            {
                var picked = new JsObject(_engine);
                foreach (var name in allowed)
                {
                    picked.CreateDataProperty(name, source.Get(name));
                }

                value = picked;
            }

            var depth = holderObject is not null && depths.TryGetValue(holderObject, out var d) ? d + 1 : 1;
            // Key, quotes, colon, comma and the indentation of this line.
            total += (inArray || depths.Count == 0 ? 1 : key.Length + 4) + (gap == 0 ? 0 : 1 + ((long)gap * depth));
            total += value switch
            {
                JsString s => s.Length + 2,
                ObjectInstance o when o.IsStringObject() => TypeConverter.ToString(o).Length + 2,
                JsNumber or JsBoolean => 24,
                ObjectInstance o when !o.IsCallable() => 2,
                _ => 4,
            };
            if (value is ObjectInstance nested && !nested.IsCallable())
            {
                depths[nested] = depth;
            }
            else if (depths.Count == 0)
            {
                // The root is a primitive: mark that the root has been seen.
                depths[_engine.Intrinsics.Object.PrototypeObject] = 0;
            }

            Check(total, "JSON.stringify");
            return value;
        }, 2, PropertyFlag.Configurable);
    }

    // Written as {...} by JSON.stringify: not an array, function or boxed primitive.
    private static bool IsPlainForJson(ObjectInstance value) =>
        !value.IsArray() && !value.IsCallable() && !value.IsStringObject() && !value.IsNumberObject()
        && value.GetType().Name is not ("BooleanInstance" or "BigIntInstance");

    private static int GapLength(JsValue space)
    {
        if (space.IsStringObject() || space.IsNumberObject())
        {
            space = TypeConverter.ToPrimitive(space, Types.Empty);
        }

        if (space.IsNumber())
        {
            return (int)Math.Clamp(TypeConverter.ToIntegerOrInfinity(space), 0, 10);
        }

        return space.IsString() ? Math.Min(10, space.AsString().Length) : 0;
    }

    private JsValue ReplaceAll(JsValue thisObject, JsValue[] arguments)
    {
        var search = Arg(arguments, 0);
        var replacement = Arg(arguments, 1);
        if (search is ObjectInstance || thisObject.IsNullish())
        {
            // A RegExp goes through RegExp.prototype[Symbol.replace], which is guarded below.
            return _stringReplaceAll.Call(thisObject, arguments);
        }

        var text = TypeConverter.ToString(thisObject);
        var searchText = TypeConverter.ToString(search);
        long matches = searchText.Length == 0 ? text.Length + 1 : CountOccurrences(text, searchText);
        return _stringReplaceAll.Call(thisObject, [searchText, Bounded(text, matches, replacement, "replaceAll")]);
    }

    private JsValue RegExpReplace(JsValue thisObject, JsValue[] arguments)
    {
        var text = TypeConverter.ToString(Arg(arguments, 0));
        var global = thisObject is ObjectInstance regex && TypeConverter.ToBoolean(regex.Get("global"));
        var replacement = Bounded(text, global ? text.Length + 1 : 1, Arg(arguments, 1), "replace");
        return _regExpReplace.Call(thisObject, [text, replacement]);
    }

    /// <summary>
    /// The replacement to hand to the built-in: the user's own when even the worst case fits, else a function that
    /// produces the same text for each match and counts the result as it grows.
    /// </summary>
    private JsValue Bounded(string text, long matches, JsValue replacement, string what)
    {
        var callable = replacement.IsCallable() ? replacement : null;
        var pattern = callable is null ? TypeConverter.ToString(replacement) : null;
        if (pattern is not null)
        {
            // $&, $`, $' and $n insert at most the whole text each.
            var perMatch = pattern.Length + ((long)pattern.Count(c => c == '$') * text.Length);
            if (text.Length + (matches * perMatch) <= _max)
            {
                return pattern;
            }
        }

        // Matches do not overlap, so the result is the text less each match plus each replacement: exact.
        long total = text.Length;
        return new ClrFunction(_engine, "replacer", (_, args) =>
        {
            var part = callable is not null
                ? TypeConverter.ToString(callable.Call(JsValue.Undefined, args))
                : Substitution.Expand(pattern!, args);
            total += part.Length - TypeConverter.ToString(Arg(args, 0)).Length;
            Check(total, what);
            return part;
        }, 2, PropertyFlag.Configurable);
    }

    private static long CountOccurrences(string text, string search)
    {
        long count = 0;
        for (var at = text.IndexOf(search, StringComparison.Ordinal); at >= 0; at = text.IndexOf(search, at + search.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private void Append(StringBuilder result, string part, string what)
    {
        Check((long)result.Length + part.Length, what);
        result.Append(part);
    }

    private ObjectInstance ToObject(JsValue value) => value as ObjectInstance
        ?? (value.IsNullish()
            ? throw new JavaScriptException(_engine.Intrinsics.TypeError, "Cannot convert undefined or null to object")
            : _engine.Intrinsics.Object.Construct([value]));
}
