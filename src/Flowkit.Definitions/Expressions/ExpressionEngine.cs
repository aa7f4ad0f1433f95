using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// Evaluates the JavaScript in definitions: <c>{{ }}</c> templates, condition expressions and script steps.
/// Thread-safe; use one instance per process. Parsed code is cached by its text, so evaluating costs no parse;
/// each evaluation runs in a fresh sandboxed Jint engine that is thrown away afterwards, so no evaluation can
/// see what another left behind (docs/adr/0011-fresh-engine-per-evaluation.md). The definition compiler
/// validates with the same parser and cache, so what validates is what runs.
/// </summary>
public sealed class ExpressionEngine : IDisposable
{
    // Distinct texts kept per cache; a full cache is dropped whole (cheap, and refilled by the hot texts).
    private const int CacheLimit = 20_000;
    private const int MaxShownLength = 120;

    private readonly ExpressionOptions _options;
    private readonly ConcurrentDictionary<string, ParsedCode> _expressions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ParsedCode> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TemplateText> _templates = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    public ExpressionEngine()
        : this(new ExpressionOptions())
    {
    }

    public ExpressionEngine(ExpressionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // A copy: later changes to the caller's instance must not change limits under running engines.
        _options = new ExpressionOptions
        {
            Timeout = options.Timeout,
            ScriptTimeout = options.ScriptTimeout,
            MemoryLimitBytes = options.MemoryLimitBytes,
            MaxStatements = options.MaxStatements,
            MaxRecursionDepth = options.MaxRecursionDepth,
            MaxArrayLength = options.MaxArrayLength,
            MaxStringLength = options.MaxStringLength,
        };
    }

    /// <summary>
    /// Evaluates every <c>{{ expression }}</c> in the strings of <paramref name="template"/> (objects and arrays
    /// are walked; keys are left as they are). A string that is exactly one <c>{{ }}</c> becomes the value
    /// with its JSON type; otherwise values are inserted as text (objects as JSON, null as nothing).
    /// </summary>
    /// <exception cref="ExpressionException">An expression does not parse, throws or exceeds a limit.</exception>
    public JsonNode? EvaluateTemplate(JsonElement template, ExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        Binding? binding = null;
        try
        {
            return Walk(template, scope, ref binding);
        }
        finally
        {
            binding?.Release();
        }
    }

    /// <summary>
    /// Evaluates a bare expression (a surrounding <c>{{ }}</c> is allowed) and applies JavaScript truthiness.
    /// </summary>
    /// <exception cref="ExpressionException">The expression does not parse, throws or exceeds a limit.</exception>
    public bool EvaluateCondition(string expression, ExpressionScope scope)
    {
        var code = Parsed(ParseExpression(expression));
        return Evaluate(scope, _options.Timeout, binding => TypeConverter.ToBoolean(binding.Run(code)));
    }

    /// <summary>Evaluates a bare expression (a surrounding <c>{{ }}</c> is allowed) to its JSON value.</summary>
    /// <exception cref="ExpressionException">The expression does not parse, throws, exceeds a limit or has no JSON form.</exception>
    public JsonNode? EvaluateExpression(string expression, ExpressionScope scope)
    {
        var code = Parsed(ParseExpression(expression));
        return Evaluate(scope, _options.Timeout, binding => binding.ToNode(binding.Run(code), code));
    }

    /// <summary>
    /// Runs the body of a <c>script</c> step: a function body that sees <c>input</c>, <c>steps</c>, <c>run</c> and
    /// <c>secrets</c>; what it returns is the output (undefined becomes null).
    /// </summary>
    /// <exception cref="ExpressionException">The script does not parse, throws, exceeds a limit or returns something with no JSON form.</exception>
    public JsonNode? RunScript(string code, ExpressionScope scope)
    {
        var script = Parsed(ParseScript(code));
        return Evaluate(scope, _options.ScriptTimeout, binding => binding.ToNode(binding.Run(script), script));
    }

    public void Dispose() => _disposed = true;

    /// <summary>Parses a bare expression, or one written as a single <c>{{ }}</c>; cached.</summary>
    internal ParsedCode ParseExpression(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = expression.Trim();
        if (text.StartsWith("{{", StringComparison.Ordinal) && text.EndsWith("}}", StringComparison.Ordinal))
        {
            var template = ParseTemplate(text);
            if (template.IsSingleExpression)
            {
                return template.Expressions.First();
            }
        }

        return ParseBare(text);
    }

    /// <summary>Parses the body of a script step; cached.</summary>
    internal ParsedCode ParseScript(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Cached(_scripts, code, static c => ParsedCode.Parse(c, CodeKind.Script));
    }

    /// <summary>Splits a string into text and parsed <c>{{ }}</c> parts; cached.</summary>
    internal TemplateText ParseTemplate(string text) => Cached(_templates, text, t => TemplateText.Parse(t, ParseBare));

    private ParsedCode ParseBare(string expression) =>
        Cached(_expressions, expression, static e => ParsedCode.Parse(e, CodeKind.Expression));

    private static TValue Cached<TValue>(ConcurrentDictionary<string, TValue> cache, string key, Func<string, TValue> create)
    {
        if (cache.TryGetValue(key, out var value))
        {
            return value;
        }

        if (cache.Count >= CacheLimit)
        {
            cache.Clear();
        }

        return cache.GetOrAdd(key, create);
    }

    private static ParsedCode Parsed(ParsedCode code) => code.Error is null
        ? code
        : throw new ExpressionException(
            code.Kind == CodeKind.Script
                ? $"The script cannot be read: {code.Error}."
                : $"The expression '{Shorten(code.Text)}' cannot be read: {code.Error}.",
            ExpressionErrorKind.Syntax,
            code.Text);

    private JsonNode? Walk(JsonElement element, ExpressionScope scope, ref Binding? binding)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    obj[property.Name] = Walk(property.Value, scope, ref binding);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Walk(item, scope, ref binding));
                }

                return array;
            case JsonValueKind.String:
                var text = element.GetString()!;
                if (!TemplateText.HasTemplate(text))
                {
                    return JsonValue.Create(text);
                }

                binding ??= Bind(scope, _options.Timeout);
                return binding.Template(ParseTemplate(text));
            case JsonValueKind.Number:
                return JsonNode.Parse(element.GetRawText());
            case JsonValueKind.True:
                return JsonValue.Create(true);
            case JsonValueKind.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    private T Evaluate<T>(ExpressionScope scope, TimeSpan budget, Func<Binding, T> body)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var binding = Bind(scope, budget);
        try
        {
            return body(binding);
        }
        finally
        {
            binding.Release();
        }
    }

    private Binding Bind(ExpressionScope scope, TimeSpan budget)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Binding(this, new Sandbox(_options, budget), scope);
    }

    private static string Shorten(string text)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= MaxShownLength ? oneLine : string.Concat(oneLine.AsSpan(0, MaxShownLength), "...");
    }

    private string LimitText(ExpressionErrorKind kind, ParsedCode code) => kind switch
    {
        ExpressionErrorKind.TimeLimit => $"it ran longer than the {Milliseconds(code.Kind == CodeKind.Script ? _options.ScriptTimeout : _options.Timeout)} time limit",
        ExpressionErrorKind.MemoryLimit => $"it used more memory than allowed ({_options.MemoryLimitBytes / (1024 * 1024)} MiB, arrays up to {_options.MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture)} items, strings up to {_options.MaxStringLength.ToString("N0", CultureInfo.InvariantCulture)} characters)",
        ExpressionErrorKind.StatementLimit => $"it ran more than {_options.MaxStatements.ToString("N0", CultureInfo.InvariantCulture)} statements (an endless loop?)",
        ExpressionErrorKind.RecursionLimit => $"its function calls nested deeper than {_options.MaxRecursionDepth} levels (endless recursion?)",
        _ => "it failed",
    };

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds < 1000
        ? $"{time.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms"
        : $"{time.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";

    /// <summary>One fresh engine with a scope bound to it, for one operation.</summary>
    private sealed class Binding
    {
        private readonly ExpressionEngine _owner;
        private readonly Sandbox _sandbox;
        private readonly ExpressionScope _scope;
        private readonly JsObject _steps;
        private readonly HashSet<string> _boundSteps = new(StringComparer.Ordinal);
        private bool _allStepsBound;

        public Binding(ExpressionEngine owner, Sandbox sandbox, ExpressionScope scope)
        {
            _owner = owner;
            _sandbox = sandbox;
            _scope = scope;
            Engine = sandbox.Engine;
            try
            {
                var global = Engine.Global;
                var input = JsonBridge.ToJs(Engine, scope.Input);
                global.Set("input", input);
                if (input is Jint.Native.Object.ObjectInstance request && !input.IsArray())
                {
                    // Shortcuts for webhook flows (and dedupe expressions such as "body.id").
                    global.Set("body", request.Get("body"));
                    global.Set("headers", request.Get("headers"));
                    global.Set("query", request.Get("query"));
                }

                _steps = new JsObject(Engine);
                global.Set("steps", _steps);
                var run = new JsObject(Engine);
                run.CreateDataProperty("id", scope.Run.Id.ToString("D"));
                run.CreateDataProperty("workflow", scope.Run.Workflow);
                run.CreateDataProperty("version", scope.Run.Version);
                run.CreateDataProperty("attempt", scope.Run.Attempt);
                global.Set("run", run);
                var secrets = new JsObject(Engine);
                foreach (var (name, value) in scope.Secrets ?? new Dictionary<string, string>())
                {
                    // Data properties, not assignments: a name like "__proto__" must not reach a setter.
                    secrets.CreateDataProperty(name, value);
                }

                global.Set("secrets", secrets);
                foreach (var (name, value) in scope.Globals ?? new Dictionary<string, JsonElement>())
                {
                    global.Set(name, JsonBridge.ToJs(Engine, value));
                }
            }
            catch
            {
                Release();
                throw;
            }
        }

        public Engine Engine { get; }

        public JsValue Run(ParsedCode code)
        {
            BindSteps(code);
            try
            {
                return Engine.Evaluate(code.Prepared);
            }
            catch (Exception e) when (Classify(e) is { } kind)
            {
                throw Fail(e, kind, code);
            }
        }

        public JsonNode? ToNode(JsValue value, ParsedCode code)
        {
            try
            {
                return JsonBridge.ToNode(_sandbox.Guards, value);
            }
            catch (Exception e) when (Classify(e) is { } kind)
            {
                throw Fail(e, kind, code);
            }
        }

        public JsonNode? Template(TemplateText template)
        {
            if (template.Error is not null)
            {
                throw new ExpressionException(
                    $"The text '{Shorten(string.Concat(template.Parts.Select(p => p.Literal)))}' cannot be evaluated: {template.Error}",
                    ExpressionErrorKind.Syntax,
                    template.Expressions.FirstOrDefault()?.Text);
            }

            if (template.IsSingleExpression)
            {
                var code = template.Expressions.First();
                return ToNode(Run(code), code);
            }

            var text = new StringBuilder();
            foreach (var part in template.Parts)
            {
                if (part.Expression is null)
                {
                    text.Append(part.Literal);
                    continue;
                }

                var value = Run(part.Expression);
                try
                {
                    var piece = JsonBridge.ToText(_sandbox.Guards, value);
                    _sandbox.Guards.Check((long)text.Length + piece.Length, "The text");
                    text.Append(piece);
                }
                catch (Exception e) when (Classify(e) is { } kind)
                {
                    throw Fail(e, kind, part.Expression);
                }
            }

            return JsonValue.Create(text.ToString());
        }

        // The engine is thrown away with everything the evaluation put in it; it is never used again.
        public void Release() => _sandbox.Dispose();

        private void BindSteps(ParsedCode code)
        {
            if (_allStepsBound)
            {
                return;
            }

            foreach (var id in code.StepReferences)
            {
                if (_boundSteps.Add(id))
                {
                    BindStep(id, _scope.StepOutputs.TryGetValue(id, out var output) ? JsonBridge.ToJs(Engine, output) : JsValue.Undefined);
                }
            }

            foreach (var id in code.CallbackReferences)
            {
                if (_boundSteps.Add(id))
                {
                    BindStep(id, _scope.StepOutputs.TryGetValue(id, out var output) ? JsonBridge.ToJs(Engine, output) : JsValue.Undefined);
                }
            }

            if (code.ReadsStepsDynamically)
            {
                foreach (var (id, output) in _scope.StepOutputs)
                {
                    if (_boundSteps.Add(id))
                    {
                        BindStep(id, JsonBridge.ToJs(Engine, output));
                    }
                }

                foreach (var id in _scope.CallbackUrls?.Keys ?? [])
                {
                    if (_boundSteps.Add(id))
                    {
                        BindStep(id, JsValue.Undefined);
                    }
                }

                _allStepsBound = true;
            }
        }

        private void BindStep(string id, JsValue output)
        {
            var step = new JsObject(Engine);
            step.CreateDataProperty("output", output);
            if (_scope.CallbackUrls is { } urls && urls.TryGetValue(id, out var url))
            {
                step.CreateDataProperty("callbackUrl", url);
            }

            _steps.CreateDataProperty(id, step);
        }

        private static ExpressionErrorKind? Classify(Exception e) => e switch
        {
            JavaScriptException => ExpressionErrorKind.Runtime,
            InvalidResultException => ExpressionErrorKind.Result,
            TimeoutException or System.Text.RegularExpressions.RegexMatchTimeoutException => ExpressionErrorKind.TimeLimit,
            MemoryLimitExceededException => ExpressionErrorKind.MemoryLimit,
            StatementsCountOverflowException => ExpressionErrorKind.StatementLimit,
            RecursionDepthOverflowException => ExpressionErrorKind.RecursionLimit,
            JintException => ExpressionErrorKind.Runtime,
            _ => null,
        };

        private ExpressionException Fail(Exception e, ExpressionErrorKind kind, ParsedCode code)
        {
            var what = code.Kind == CodeKind.Script ? "The script" : $"The expression '{Shorten(code.Text)}'";
            string message;
            if (kind == ExpressionErrorKind.Runtime || kind == ExpressionErrorKind.Result)
            {
                var where = code.Kind == CodeKind.Script && e is JavaScriptException js && js.Location.Start.Line > 0
                    ? $" at line {js.Location.Start.Line}"
                    : string.Empty;
                message = $"{what} failed{where}: {Describe(e)}.";
            }
            else
            {
                message = $"{what} was stopped: {_owner.LimitText(kind, code)}.";
            }

            return new ExpressionException(Mask(message), kind, code.Text, e);
        }

        private static string Describe(Exception e)
        {
            if (e is JavaScriptException js && js.Error is Jint.Native.Object.ObjectInstance error)
            {
                var name = TypeConverter.ToString(error.Get("name"));
                var message = TypeConverter.ToString(error.Get("message"));
                return string.IsNullOrEmpty(message) ? name : $"{name}: {message}";
            }

            return e is JavaScriptException thrown ? $"it threw {TypeConverter.ToString(thrown.Error)}" : e.Message.TrimEnd('.');
        }

        private string Mask(string message)
        {
            if (_scope.Secrets is null)
            {
                return message;
            }

            // Secrets never appear in errors: a script could throw one, or a message could quote it.
            foreach (var value in _scope.Secrets.Values.Where(v => v.Length >= 3).OrderByDescending(v => v.Length))
            {
                message = message.Replace(value, "***", StringComparison.Ordinal);
            }

            return message;
        }
    }
}
