using System.Text.Json;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Expressions;

/// <summary>
/// Issue #19, finding 1: nothing one evaluation does to the JavaScript built-ins can be seen by a later evaluation
/// (another run, another workspace), including built-ins not reachable from globalThis.
/// </summary>
public sealed class SandboxIsolationTests
{
    // Every intrinsic prototype a script can reach without globalThis, by the expression that reaches it.
    public static readonly TheoryData<string> Prototypes = new()
    {
        "Object.getPrototypeOf([][Symbol.iterator]())",
        "Object.getPrototypeOf(''[Symbol.iterator]())",
        "Object.getPrototypeOf(new Map()[Symbol.iterator]())",
        "Object.getPrototypeOf(new Set()[Symbol.iterator]())",
        "Object.getPrototypeOf('a'.matchAll(/a/g))",
        "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))",
        "Object.getPrototypeOf(function* () {})",
        "Object.getPrototypeOf(function* () {}).prototype",
        "Object.getPrototypeOf(async function () {})",
        "Object.getPrototypeOf(async function* () {})",
        "Object.getPrototypeOf(async function* () {}).prototype",
        "Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype)",
        "Array.prototype",
        "Object.prototype",
    };

    private static readonly ExpressionScope Attacker = Scope("""{ "who": "attacker" }""", null);

    private static readonly ExpressionScope Victim = Scope("""{ "email": "ada@example.com" }""", new Dictionary<string, string> { ["token"] = "tok-5e3a9c1b" });

    [Theory]
    [MemberData(nameof(Prototypes))]
    public void RunScript_PrototypeTamperedByAnEarlierRun_IsNotSeenByLaterRuns(string prototype)
    {
        using var engine = new ExpressionEngine();
        // Enough rounds to pass through every engine a pool could hold.
        for (var i = 0; i < 16; i++)
        {
            engine.RunScript(Tamper(prototype), Attacker);
        }

        for (var i = 0; i < 16; i++)
        {
            engine.RunScript(VictimCode, Victim);
        }

        var seen = Enumerable.Range(0, 16).Select(_ => engine.RunScript(Read(prototype), Attacker)?.ToJsonString() ?? "null").ToList();

        seen.Should().AllBe("null", "the tampering of one run must not be visible to another");
    }

    [Fact]
    public void RunScript_RegExpLegacyStaticsAfterAnotherRun_DoNotShowItsLastMatch()
    {
        using var engine = new ExpressionEngine();
        for (var i = 0; i < 16; i++)
        {
            engine.RunScript("/(.+)/.exec(secrets.token); return 1;", Victim);
        }

        var seen = Enumerable.Range(0, 16).Select(_ => engine.RunScript("return RegExp.lastMatch + '|' + RegExp.$1;", Attacker)!.ToJsonString());

        seen.Should().AllBe("\"|\"");
    }

    [Fact]
    public void RunScript_ChangesToGlobalsAndBuiltIns_WorkWithinTheRunOnly()
    {
        using var engine = new ExpressionEngine();

        var inside = engine.RunScript("Array.prototype.map = () => 'mine'; globalThis.kept = 1; return [[1].map(x => x), typeof kept];", Attacker);
        var after = engine.RunScript("return [[1].map(x => x * 2), typeof kept];", Attacker);

        inside!.ToJsonString().Should().Be("""["mine","number"]""");
        after!.ToJsonString().Should().Be("""[[2],"undefined"]""");
    }

    [Fact]
    public void EvaluateTemplate_TamperingInATemplate_IsNotSeenByTheNextTemplate()
    {
        using var engine = new ExpressionEngine();
        var tamper = JsonSerializer.SerializeToElement("{{ (Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true, value: 'x' })) && 1 }}");
        var use = JsonSerializer.SerializeToElement("{{ [...[1, 2, 3]].length }}");

        for (var i = 0; i < 16; i++)
        {
            engine.EvaluateTemplate(tamper, Attacker);
        }

        engine.EvaluateTemplate(use, Victim)!.GetValue<long>().Should().Be(3);
    }

    // Marks the prototype and, where it has a next method, replaces it with one that records every value it yields.
    private static string Tamper(string prototype) => $$"""
        const p = {{prototype}};
        try { Object.defineProperty(p, 'flowkitLog', { value: [], writable: true, configurable: true }); } catch { }
        if (typeof p.next === 'function') {
          const original = p.next;
          try { p.next = function (...args) { const r = original.apply(this, args); try { p.flowkitLog.push(String(r && r.value)); } catch { } return r; }; } catch { }
        }
        return 1;
        """;

    private static string Read(string prototype) => $$"""
        const p = {{prototype}};
        return Object.prototype.hasOwnProperty.call(p, 'flowkitLog') ? p.flowkitLog : null;
        """;

    // Iterates over values holding a secret in every way the prototypes above take part in.
    private const string VictimCode = """
        const out = [];
        for (const [key, value] of Object.entries({ token: secrets.token, customer: input.body.email })) out.push(key + value);
        out.push(...secrets.token);
        for (const entry of new Map([['t', secrets.token]])) out.push(entry);
        out.push(...new Set([secrets.token]));
        out.push(...secrets.token.matchAll(/.+/g));
        function* g() { yield secrets.token; }
        out.push(...g());
        async function a() { return secrets.token; }
        a();
        async function* ag() { yield secrets.token; }
        ag().next();
        return out.length;
        """;

    private static ExpressionScope Scope(string input, IReadOnlyDictionary<string, string>? secrets)
    {
        using var document = JsonDocument.Parse($$"""{ "body": {{input}} }""");
        return new ExpressionScope(document.RootElement.Clone(), new Dictionary<string, JsonElement>(), new RunInfo(Guid.NewGuid(), "isolation", 1, 1), secrets);
    }
}
