using System.Globalization;
using Jint;
using Jint.Constraints;
using Jint.Native;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// One locked-down Jint engine. Engines are pooled and reused by different runs (and workspaces), so
/// nothing one evaluation does may be seen by the next: every built-in object is frozen and the global
/// object accepts no new properties; only the scope variables below are writable, and they are
/// overwritten before and cleared after each use. No CLR access is configured.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    public static readonly string[] ScopeVariables = ["input", "steps", "run", "secrets", "body", "headers", "query"];

    // Runs once per engine, before any user code. Freezing Object.prototype would make plain assignments
    // such as o.toString = f or o["constructor"] = 1 throw (the "override mistake"), so its data properties
    // become accessors whose setter defines the property on the object being assigned instead.
    private const string LockdownScript = """
        (() => {
          const writable = new Set(__SCOPE__);
          for (const name of writable) {
            Object.defineProperty(globalThis, name, { value: undefined, writable: true, enumerable: false, configurable: false });
          }
          const proto = Object.prototype;
          for (const key of Reflect.ownKeys(proto)) {
            const d = Reflect.getOwnPropertyDescriptor(proto, key);
            if (!('value' in d) || typeof key !== 'string') continue;
            const value = d.value;
            Object.defineProperty(proto, key, {
              get() { return value; },
              set(v) {
                if (this === proto) throw new TypeError("Cannot assign to read only property '" + key + "' of Object.prototype");
                Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
              },
              enumerable: d.enumerable,
              configurable: false,
            });
          }
          const seen = new Set([globalThis]);
          const todo = [Object.getPrototypeOf(globalThis)];
          for (const key of Reflect.ownKeys(globalThis)) {
            if (writable.has(key)) continue;
            const d = Reflect.getOwnPropertyDescriptor(globalThis, key);
            if ('value' in d) {
              todo.push(d.value);
              Object.defineProperty(globalThis, key, { writable: false, configurable: false });
            } else {
              todo.push(d.get, d.set);
              Object.defineProperty(globalThis, key, { configurable: false });
            }
          }
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
          Object.preventExtensions(globalThis);
        })()
        """;

    private static readonly Prepared<Acornima.Ast.Script> Lockdown = Engine.PrepareScript(
        LockdownScript.Replace("__SCOPE__", "[" + string.Join(", ", ScopeVariables.Select(v => "'" + v + "'")) + "]", StringComparison.Ordinal),
        strict: true);

    private readonly OperationDeadlineConstraint _deadline = new();

    public Sandbox(ExpressionOptions options)
    {
        Engine = new Engine(o =>
        {
            o.Strict();
            o.LimitRecursion(options.MaxRecursionDepth);
            o.MaxStatements(options.MaxStatements);
            o.LimitMemory(options.MemoryLimitBytes);
            o.Constraint(_deadline);
            o.Constraints.MaxArraySize = (uint)options.MaxArrayLength;
            o.Constraints.RegexTimeout = options.ScriptTimeout > options.Timeout ? options.ScriptTimeout : options.Timeout;
            // Same results on every machine: no local time zone or culture leaks into Date or toLocaleString.
            o.TimeZone = TimeZoneInfo.Utc;
            o.Culture = CultureInfo.InvariantCulture;
        });

        // The lockdown runs a few thousand statements; the statement budget is for user code only.
        var statements = Engine.Constraints.Find<MaxStatementsConstraint>();
        if (statements is not null)
        {
            statements.MaxStatements = int.MaxValue;
        }

        Engine.Execute(Lockdown);
        if (statements is not null)
        {
            statements.MaxStatements = options.MaxStatements;
        }
    }

    public Engine Engine { get; }

    /// <summary>Starts one operation: every script entry until <see cref="End"/> shares this time budget.</summary>
    public void Begin(TimeSpan budget) => _deadline.Begin(budget, CancellationToken.None);

    /// <summary>Ends the operation and drops the scope so the pooled engine holds no run data.</summary>
    public void End()
    {
        _deadline.End();
        foreach (var name in ScopeVariables)
        {
            Engine.Global.Set(name, JsValue.Undefined);
        }
    }

    public void Dispose() => Engine.Dispose();
}
