using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Flowkit.Definitions.Expressions;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using JsEngine = Jint.Engine;

namespace Flowkit.Benchmarks;

/// <summary>
/// Issue #19: what isolating every expression evaluation costs. One thread, no services. Compares the candidates of
/// docs/adr/0011-fresh-engine-per-evaluation.md on the same template (two <c>{{ }}</c> over a webhook input, with
/// scope variables bound as Flowkit binds them): a pooled engine with nothing frozen (no isolation: the lower bound),
/// a pooled engine with every intrinsic of Jint's realm frozen (enumerated from <c>Realm.Intrinsics</c>), a fresh
/// bare engine per evaluation, and Flowkit's <see cref="ExpressionEngine"/> (a fresh engine with size guards) on a
/// template, a condition and a small script. Prints medians of several batches; never asserted.
/// Run: <c>make bench BENCH_ARGS=--expressions</c>.
/// </summary>
internal static class ExpressionBenchmark
{
    private const string Input = """{ "body": { "id": "inv-7", "amount": 1500, "customer": { "email": "ada@example.com" }, "tags": ["a", "b"] } }""";

    private static readonly Prepared<Acornima.Ast.Script> First = JsEngine.PrepareScript("(input.body.id\n)", strict: true);
    private static readonly Prepared<Acornima.Ast.Script> Second = JsEngine.PrepareScript("(input.body.amount / 100\n)", strict: true);

    private static readonly Prepared<Acornima.Ast.Script> DeepFreeze = JsEngine.PrepareScript("""
        (() => {
          const seen = new Set();
          const todo = [__target];
          while (todo.length > 0) {
            const o = todo.pop();
            if (o === null || o === undefined || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
            seen.add(o);
            Object.freeze(o);
            for (const key of Reflect.ownKeys(o)) {
              const d = Reflect.getOwnPropertyDescriptor(o, key);
              if ('value' in d) todo.push(d.value); else todo.push(d.get, d.set);
            }
            todo.push(Object.getPrototypeOf(o));
          }
        })()
        """, strict: true);

    public static int Run(string[] args)
    {
        var batches = ArgInt(args, "--batches", 7);
        var perBatch = ArgInt(args, "--evaluations", 5_000);
        Console.WriteLine($"Flowkit expression isolation benchmark: {batches} batches of {perBatch} evaluations, one thread; {Environment.ProcessorCount} cores; load average {LoadAverage()}; {DateTime.UtcNow:u}");
        var options = new ExpressionOptions();
        var scope = new ExpressionScope(
            JsonDocument.Parse(Input).RootElement.Clone(),
            new Dictionary<string, JsonElement>(),
            new RunInfo(Guid.NewGuid(), "bench", 1, 1),
            new Dictionary<string, string> { ["token"] = "s3cr3t-value" });
        using var flowkit = new ExpressionEngine(options);
        var template = System.Text.Json.JsonSerializer.SerializeToElement("Invoice {{ input.body.id }} for {{ input.body.amount / 100 }} EUR");

        var pooled = NewEngine(options);
        var frozen = NewEngine(options);
        var setup = Stopwatch.StartNew();
        var frozenCount = FreezeEveryIntrinsic(frozen);
        var freezeMicros = setup.Elapsed.TotalMicroseconds;
        var engineMicros = Median(batches, 200, () => NewEngine(options).Dispose()).Micros;

        var rows = new (string Name, Func<object?> Body)[]
        {
            ("pooled engine, nothing frozen (no isolation; lower bound)", () => Template(pooled)),
            ($"pooled engine, all {frozenCount} intrinsics frozen", () => Template(frozen)),
            ("fresh bare engine per evaluation", () =>
            {
                using var engine = NewEngine(options);
                return Template(engine);
            }),
            ("Flowkit: fresh engine + size guards, template (chosen)", () => flowkit.EvaluateTemplate(template, scope)),
            ("Flowkit: condition", () => flowkit.EvaluateCondition("input.body.amount > 1000 && input.body.tags.includes('b')", scope)),
            ("Flowkit: script (map, reduce, object result)", () => flowkit.RunScript("const t = input.body.tags.map(x => x.toUpperCase());\nreturn { t, n: t.length + input.body.amount };", scope)),
        };

        Console.WriteLine($"one-time: new engine {Stats.F(engineMicros)} us; freezing every intrinsic of one engine {Stats.F(freezeMicros, "0")} us");
        Console.WriteLine("candidate | median us/evaluation | allocated KiB/evaluation");
        foreach (var (name, body) in rows)
        {
            var (micros, bytes) = Median(batches, perBatch, () => body());
            Console.WriteLine($"{name} | {Stats.F(micros, "0.0")} | {Stats.F(bytes / 1024, "0.0")}");
        }

        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static JsEngine NewEngine(ExpressionOptions options) => new(o =>
    {
        o.Strict();
        o.LimitRecursion(options.MaxRecursionDepth);
        o.MaxStatements(options.MaxStatements);
        o.LimitMemory(options.MemoryLimitBytes);
        o.Constraints.MaxArraySize = (uint)options.MaxArrayLength;
        o.TimeZone = TimeZoneInfo.Utc;
        o.Culture = CultureInfo.InvariantCulture;
    });

    // Binds the scope as Flowkit does (input parsed into the engine, steps, run, secrets) and evaluates both parts.
    private static string Template(JsEngine engine)
    {
        var global = engine.Global;
        global.Set("input", new JsonParser(engine).Parse(Input));
        global.Set("steps", new JsObject(engine));
        var run = new JsObject(engine);
        run.CreateDataProperty("workflow", "bench");
        global.Set("run", run);
        var secrets = new JsObject(engine);
        secrets.CreateDataProperty("token", "s3cr3t-value");
        global.Set("secrets", secrets);
        return $"Invoice {TypeConverter.ToString(engine.Evaluate(First))} for {TypeConverter.ToString(engine.Evaluate(Second))} EUR";
    }

    // Every intrinsic Jint's realm has (public or not), found by reflection rather than by a hand list, then frozen
    // with everything reachable from it; the scope variables stay writable on the global object.
    private static int FreezeEveryIntrinsic(JsEngine engine)
    {
        var count = 0;
        foreach (var property in typeof(Intrinsics).GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (!typeof(ObjectInstance).IsAssignableFrom(property.PropertyType) || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            ObjectInstance? intrinsic;
            try
            {
                intrinsic = property.GetValue(engine.Intrinsics) as ObjectInstance;
            }
            catch (TargetInvocationException)
            {
                continue;
            }

            if (intrinsic is null)
            {
                continue;
            }

            engine.SetValue("__target", intrinsic);
            engine.Evaluate(DeepFreeze);
            count++;
        }

        engine.Global.RemoveOwnProperty("__target");
        return count;
    }

    private static (double Micros, double Bytes) Median(int batches, int perBatch, Action body)
    {
        for (var i = 0; i < Math.Min(perBatch, 2_000); i++)
        {
            body();
        }

        var micros = new List<double>();
        var bytes = new List<double>();
        for (var b = 0; b < batches; b++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < perBatch; i++)
            {
                body();
            }

            micros.Add(watch.Elapsed.TotalMicroseconds / perBatch);
            bytes.Add((GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)perBatch);
        }

        return (Stats.Median(micros), Stats.Median(bytes));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static int ArgInt(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
