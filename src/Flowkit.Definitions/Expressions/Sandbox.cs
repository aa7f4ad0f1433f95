using System.Globalization;
using Jint;
using Jint.Constraints;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// One fresh Jint engine for one evaluation (a template, a condition, an expression or a script run), disposed
/// afterwards. Nothing is shared between evaluations but immutable parsed code, so nothing one evaluation does
/// (changing a built-in prototype, an iterator's <c>next</c>, <c>RegExp.$1</c>, a global) can be seen by
/// another run or workspace: isolation holds by construction, not by finding and freezing every shared object
/// (docs/adr/0011-fresh-engine-per-evaluation.md; measured in docs/benchmarks.md). No CLR access is configured.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    private readonly OperationDeadlineConstraint _deadline = new();

    public Sandbox(ExpressionOptions options, TimeSpan budget)
    {
        Engine = new Engine(o =>
        {
            o.Strict();
            o.LimitRecursion(options.MaxRecursionDepth);
            o.MaxStatements(options.MaxStatements);
            o.LimitMemory(options.MemoryLimitBytes);
            o.Constraint(_deadline);
            o.Constraints.MaxArraySize = (uint)options.MaxArrayLength;
            o.Constraints.RegexTimeout = budget;
            // Same results on every machine: no local time zone or culture leaks into Date or toLocaleString.
            o.TimeZone = TimeZoneInfo.Utc;
            o.Culture = CultureInfo.InvariantCulture;
        });
        Guards = SizeGuards.Install(Engine, options.MaxStringLength);
        _deadline.Begin(budget, CancellationToken.None);
    }

    public Engine Engine { get; }

    public SizeGuards Guards { get; }

    public void Dispose()
    {
        _deadline.End();
        Engine.Dispose();
    }
}
