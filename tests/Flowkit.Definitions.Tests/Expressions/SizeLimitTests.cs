using System.Text.Json;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Expressions;

/// <summary>
/// Issue #19, finding 4: one call that makes a huge string or buffer is refused before it allocates, in scripts and
/// in templates, with a limit error; the host's memory is never asked for it.
/// </summary>
public sealed class SizeLimitTests
{
    private static readonly ExpressionScope Scope = new(
        JsonSerializer.SerializeToElement(new { body = new { id = "inv-7" } }),
        new Dictionary<string, JsonElement>(),
        new RunInfo(Guid.NewGuid(), "limits", 1, 1));

    public static readonly TheoryData<string> SingleCallBombs = new()
    {
        "'y'.repeat(100000000)",
        "'y'.padStart(100000000)",
        "'y'.padEnd(100000000, 'ab')",
        "Array(100000).fill('x'.repeat(1000)).join('')",
        "String(Array(100000).fill('x'.repeat(1000)))",
        "`${Array(100000).fill('x'.repeat(1000))}`",
        "Array(100000).fill('x'.repeat(1000)).toLocaleString()",
        "JSON.stringify(Array(100000).fill('x'.repeat(1000)))",
        "JSON.stringify({ a: Array(100000).fill('x'.repeat(1000)) }, null, 2)",
        "JSON.stringify(Array(100000).fill('x'.repeat(1000)), (k, v) => v)",
        "JSON.stringify({ a: Array(100000).fill('x'.repeat(1000)), b: 1 }, ['b', 'a'])",
        "''.concat(...Array(100000).fill('x'.repeat(1000)))",
        "String.raw({ raw: Array(100000).fill('x'.repeat(1000)) })",
        "'x'.repeat(100000).replaceAll('x', 'y'.repeat(1000))",
        "'x'.repeat(100000).replace(/x/g, 'y'.repeat(1000))",
        "'x'.repeat(100000).replace(/x/g, '$&'.repeat(500))",
        "'x'.repeat(100000).replace(/x/g, () => 'y'.repeat(1000))",
        "Array(1e9).fill(0).length",
    };

    [Theory]
    [MemberData(nameof(SingleCallBombs))]
    public void RunScript_OneCallMakesAHugeValue_FailsWithALimitBeforeAllocating(string expression)
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var act = () => engine.RunScript($"return {expression};", Scope);

        act.Should().Throw<ExpressionException>().Which.IsLimitExceeded.Should().BeTrue();
        // Generous: what the sandbox and the refused call cost, far below the 200 MB that repeat(1e8) alone would take.
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64L * 1024 * 1024);
    }

    [Theory]
    [MemberData(nameof(SingleCallBombs))]
    public void EvaluateTemplate_OneCallMakesAHugeValue_FailsWithALimitBeforeAllocating(string expression)
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var act = () => engine.EvaluateTemplate(JsonSerializer.SerializeToElement($"value: {{{{ {expression} }}}}"), Scope);

        act.Should().Throw<ExpressionException>().Which.IsLimitExceeded.Should().BeTrue();
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64L * 1024 * 1024);
    }

    [Theory]
    [InlineData("new ArrayBuffer(1e9).byteLength")]
    [InlineData("new SharedArrayBuffer(1e9).byteLength")]
    [InlineData("new Uint8Array(1e9).length")]
    [InlineData("new Float64Array(1e8).length")]
    [InlineData("new DataView(new ArrayBuffer(1e9)).byteLength")]
    [InlineData("new ShadowRealm().evaluate(\"'y'.repeat(1e8).length\")")]
    public void RunScript_BinaryBuffersAndSecondRealms_AreNotThere(string expression)
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var act = () => engine.RunScript($"return {expression};", Scope);

        act.Should().Throw<ExpressionException>().Which.Message.Should().Contain("is not defined");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64L * 1024 * 1024);
    }

    [Fact]
    public void EvaluateTemplate_ResultWithManyReferencesToOneString_FailsWithALimit()
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));

        var act = () => engine.EvaluateTemplate(JsonSerializer.SerializeToElement("{{ Array(100000).fill('x'.repeat(1000)) }}"), Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => e.Kind == ExpressionErrorKind.MemoryLimit && e.Message.Contains("strings up to 2,097,152 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void RunScript_LimitError_CannotBeCaughtByTheScript()
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));

        var act = () => engine.RunScript("try { 'y'.repeat(1e8); } catch (e) { return 'caught'; } return 'done';", Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.MemoryLimit);
    }

    [Fact]
    public void RunScript_ConfiguredStringLimit_IsTheBoundary()
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions { MaxStringLength = 10_000 }));

        engine.RunScript("return 'ab'.repeat(5000).length;", Scope)!.GetValue<long>().Should().Be(10_000);
        var act = () => engine.RunScript("return 'ab'.repeat(5001).length;", Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.MemoryLimit);
    }

    [Theory]
    [InlineData("return 'ab'.repeat(3);", "ababab")]
    [InlineData("return '5'.padStart(3, '0') + '|' + 'x'.padEnd(4, 'ab') + '|' + 'abc'.padStart(2) + '|' + 'a'.padStart(3);", "005|xaba|abc|  a")]
    [InlineData("return [1, null, undefined, 'a', [2, 3]].join('-') + '|' + [1, 2] + '|' + [].join();", "1---a-2,3|1,2|")]
    [InlineData("const a = [1]; a.push(a); return a.join();", "1,")]
    [InlineData("return 'a'.concat(1, null, [2, 3]);", "a1null2,3")]
    [InlineData("return String.raw`a${1}b${2}c` + '|' + String.raw({ raw: ['x', 'y'] }, 7, 8);", "a1b2c|x7y")]
    [InlineData("return JSON.stringify({ b: [1, 'two', null, true], a: { c: new String('s') } }, null, 2);", "{\n  \"b\": [\n    1,\n    \"two\",\n    null,\n    true\n  ],\n  \"a\": {\n    \"c\": \"s\"\n  }\n}")]
    [InlineData("return JSON.stringify({ b: 1, a: 2, c: { a: 3, d: 4 } }, ['a', 'c']);", "{\"a\":2,\"c\":{\"a\":3}}")]
    [InlineData("let n = 0; return JSON.stringify({ get a() { return ++n; }, b: { a: 'x', c: 2 } }, ['b', 'a', 'a']) + n;", "{\"b\":{\"a\":\"x\"},\"a\":1}1")]
    [InlineData("return JSON.stringify({ a: 1, b: 'x' }, (k, v) => typeof v === 'number' ? v * 10 : v);", "{\"a\":10,\"b\":\"x\"}")]
    [InlineData("return JSON.stringify({ toJSON() { return [1]; } }) + JSON.stringify('q') + JSON.stringify(undefined);", "[1]\"q\"undefined")]
    [InlineData("return 'a-b-c'.replaceAll('-', '+') + '|' + 'a-b'.replace(/(\\w)-(\\w)/, '$2$1$$$&') + '|' + 'abc'.replace(/(?<x>b)/g, '[$<x>$`$\\']');", "a+b+c|ba$a-b|a[bac]c")]
    [InlineData("return 'xx'.replace(/x/g, (m, i) => m + i) + '|' + 'aXbX'.replaceAll('X', (m, i, s) => s.length);", "x0x1|a4b4")]
    [InlineData("return [1.5, 2].toLocaleString() + '|' + [1, 2].toString();", "1.5,2|1,2")]
    public void RunScript_GuardedBuiltIns_BehaveAsTheStandardSays(string code, string expected)
    {
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions()));

        engine.RunScript(code, Scope)!.GetValue<string>().Should().Be(expected);
    }

    [Theory]
    [InlineData("return 'x'.repeat(3000).replace(/x/g, '$&$&') === 'x'.repeat(6000);")]
    [InlineData("return 'ab'.repeat(1000).replaceAll('a', '[$&]') === '[a]b'.repeat(1000);")]
    [InlineData("return 'a1b2'.repeat(500).replace(/(\\w)(\\d)/g, '$2$1$$') === '1a$2b$'.repeat(500);")]
    [InlineData("return 'ab'.repeat(1000).replace(/(?<first>a)/g, '<$<first>>') === '<a>b'.repeat(1000);")]
    public void RunScript_ReplacementsNearTheLimit_AreCountedAndStillCorrect(string code)
    {
        // The worst case of these passes the limit, so the guard expands the $ patterns itself and counts.
        using var engine = new ExpressionEngine(Unhurried(new ExpressionOptions { MaxStringLength = 8_000 }));

        engine.RunScript(code, Scope)!.GetValue<bool>().Should().BeTrue();
    }

    /// <summary>
    /// Time limits no loaded machine reaches, so that the size limit under test is the one that stops a script (the
    /// default 100 ms was reached first once at a load average of 40).
    /// </summary>
    private static ExpressionOptions Unhurried(ExpressionOptions options)
    {
        options.Timeout = TimeSpan.FromMinutes(1);
        options.ScriptTimeout = TimeSpan.FromMinutes(1);
        return options;
    }
}
