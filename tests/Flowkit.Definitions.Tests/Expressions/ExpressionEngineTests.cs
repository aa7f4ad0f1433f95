using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Expressions;

public sealed class ExpressionEngineTests
{
    private static readonly ExpressionEngine Engine = new();

    private static readonly ExpressionScope Scope = new(
        Json("""{ "body": { "id": "inv-7", "amount": 1500, "tags": ["a", "b"], "paid": false, "note": null } }"""),
        new Dictionary<string, JsonElement>
        {
            ["fetch"] = Json("""{ "status": 200, "body": { "amount": 1500, "customer": { "name": "Ada" } } }"""),
            ["count"] = Json("3"),
        },
        new RunInfo(Guid.Parse("6f1c1f43-2a5c-4a57-9d47-5b8e2f4f0c11"), "invoice-approval", 4, 2),
        new Dictionary<string, string> { ["token"] = "s3cr3t-value" });

    [Theory]
    [InlineData("\"{{ input.body.amount }}\"", "1500")]
    [InlineData("\"{{ input.body.amount / 1000 }}\"", "1.5")]
    [InlineData("\"{{ input.body.paid }}\"", "false")]
    [InlineData("\"{{ input.body.note }}\"", "null")]
    [InlineData("\"{{ input.body.missing }}\"", "null")]
    [InlineData("\"{{ input.body.tags }}\"", "[\"a\",\"b\"]")]
    [InlineData("\"{{ steps.fetch.output.body.customer }}\"", "{\"name\":\"Ada\"}")]
    [InlineData("\"  {{ input.body.id }} \"", "\"inv-7\"")]
    [InlineData("\"{{ {a: {b: 1}} }}\"", "{\"a\":{\"b\":1}}")]
    [InlineData("\"{{ steps.count.output + 1 }}\"", "4")]
    [InlineData("\"{{ new Date(0) }}\"", "\"1970-01-01T00:00:00.000Z\"")]
    public void EvaluateTemplate_WholeStringIsOneExpression_KeepsTheValueType(string template, string expected)
    {
        var result = Engine.EvaluateTemplate(Json(template), Scope);

        Render(result).Should().Be(expected);
    }

    [Theory]
    [InlineData("Invoice {{ input.body.id }}", "Invoice inv-7")]
    [InlineData("{{ input.body.amount }} EUR", "1500 EUR")]
    [InlineData("paid={{ input.body.paid }}, note=[{{ input.body.note }}]", "paid=false, note=[]")]
    [InlineData("tags: {{ input.body.tags }}", "tags: [\"a\",\"b\"]")]
    [InlineData("{{ steps.fetch.output.body.customer }}!", "{\"name\":\"Ada\"}!")]
    [InlineData("x{{ 1/3 }}", "x0.3333333333333333")]
    [InlineData("no expressions here", "no expressions here")]
    [InlineData("run {{ run.workflow }} v{{ run.version }} try {{ run.attempt }}", "run invoice-approval v4 try 2")]
    public void EvaluateTemplate_TextAroundExpressions_InterpolatesAsText(string template, string expected)
    {
        var result = Engine.EvaluateTemplate(JsonSerializer.SerializeToElement(template), Scope);

        result!.GetValue<string>().Should().Be(expected);
    }

    [Fact]
    public void EvaluateTemplate_ObjectsAndArrays_AreWalked()
    {
        var template = Json("""
            { "id": "{{ input.body.id }}", "n": 5, "list": ["{{ run.id }}", true, null], "nested": { "who": "{{ steps.fetch.output.body.customer.name }}" } }
            """);

        var result = Engine.EvaluateTemplate(template, Scope);

        Render(result).Should().Be("""{"id":"inv-7","n":5,"list":["6f1c1f43-2a5c-4a57-9d47-5b8e2f4f0c11",true,null],"nested":{"who":"Ada"}}""");
    }

    [Fact]
    public void EvaluateTemplate_Secrets_AreReadable()
    {
        var result = Engine.EvaluateTemplate(JsonSerializer.SerializeToElement("Bearer {{ secrets.token }}"), Scope);

        result!.GetValue<string>().Should().Be("Bearer s3cr3t-value");
    }

    [Fact]
    public void EvaluateExpression_NamesLikeProto_AreOrdinaryProperties()
    {
        var scope = Scope with
        {
            StepOutputs = new Dictionary<string, JsonElement> { ["__proto__"] = Json("7") },
            Secrets = new Dictionary<string, string> { ["__proto__"] = "hidden" },
        };

        var result = Engine.EvaluateExpression("[steps.__proto__.output, secrets.__proto__, Object.getPrototypeOf(secrets) === Object.prototype]", scope);

        result!.ToJsonString().Should().Be("""[7,"hidden",true]""");
    }

    [Fact]
    public void EvaluateTemplate_SkippedStep_ReadsAsUndefined()
    {
        var result = Engine.EvaluateTemplate(JsonSerializer.SerializeToElement("{{ steps.approve.output ?? 'none' }}"), Scope);

        result!.GetValue<string>().Should().Be("none");
    }

    [Fact]
    public void EvaluateTemplate_WebhookShortcuts_ReadTheInput()
    {
        var result = Engine.EvaluateExpression("body.id", Scope);

        result!.GetValue<string>().Should().Be("inv-7");
    }

    [Theory]
    [InlineData("input.body.amount > 1000", true)]
    [InlineData("input.body.amount > 2000", false)]
    [InlineData("{{ input.body.amount > 1000 }}", true)]
    [InlineData("input.body.paid", false)]
    [InlineData("input.body.note", false)]
    [InlineData("input.body.id", true)]
    [InlineData("''", false)]
    [InlineData("0", false)]
    [InlineData("[]", true)]
    [InlineData("input.body.tags.includes('b') && steps.fetch.output.status === 200", true)]
    public void EvaluateCondition_Expression_UsesJavaScriptTruthiness(string expression, bool expected)
    {
        Engine.EvaluateCondition(expression, Scope).Should().Be(expected);
    }

    [Theory]
    [InlineData("return input.body.amount * 2;", "3000")]
    [InlineData("const names = input.body.tags.map(t => t.toUpperCase());\nreturn { names, count: names.length };", "{\"names\":[\"A\",\"B\"],\"count\":2}")]
    [InlineData("let total = 0;\nfor (let i = 1; i <= 10; i++) total += i;\nreturn total;", "55")]
    [InlineData("function twice(x) { return x * 2 }\nreturn twice(steps.count.output);", "6")]
    [InlineData("const o = {};\no.toString = 'overridden';\no['constructor'] = 1;\nreturn o;", "{\"toString\":\"overridden\",\"constructor\":1}")]
    [InlineData("// nothing returned", "null")]
    [InlineData("return;", "null")]
    public void RunScript_Body_ReturnsTheOutput(string code, string expected)
    {
        var result = Engine.RunScript(code, Scope);

        Render(result).Should().Be(expected);
    }

    [Theory]
    [InlineData("while (true) {}")]
    [InlineData("for (;;) { let x = 1; }")]
    public void RunScript_EndlessLoop_FailsWithALimit(string code)
    {
        var act = () => Engine.RunScript(code, Scope);

        act.Should().Throw<ExpressionException>().Which.IsLimitExceeded.Should().BeTrue();
    }

    [Fact]
    public void RunScript_EndlessLoopWithinStatementBudget_FailsOnTime()
    {
        using var engine = new ExpressionEngine(new ExpressionOptions { ScriptTimeout = TimeSpan.FromMilliseconds(50), MaxStatements = int.MaxValue });

        var act = () => engine.RunScript("while (true) {}", Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => e.Kind == ExpressionErrorKind.TimeLimit && e.Message.Contains("50 ms time limit", StringComparison.Ordinal));
    }

    [Fact]
    public void RunScript_EndlessLoopWithinTimeBudget_FailsOnStatements()
    {
        using var engine = new ExpressionEngine(new ExpressionOptions { ScriptTimeout = TimeSpan.FromMinutes(1), MaxStatements = 10_000 });

        var act = () => engine.RunScript("while (true) {}", Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => e.Kind == ExpressionErrorKind.StatementLimit && e.Message.Contains("10,000 statements", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("let s = 'x'; while (true) s += s;")]
    [InlineData("const a = []; while (true) a.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + a.length);")]
    [InlineData("return new Array(1e9).fill(0).length;")]
    [InlineData("let a = [1]; while (true) a = a.concat(a);")]
    public void RunScript_MemoryBomb_FailsWithMemoryLimit(string code)
    {
        using var engine = new ExpressionEngine(new ExpressionOptions { ScriptTimeout = TimeSpan.FromMinutes(1), MaxStatements = int.MaxValue });

        var act = () => engine.RunScript(code, Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.MemoryLimit);
    }

    [Fact]
    public void RunScript_EndlessRecursion_FailsWithRecursionLimit()
    {
        var act = () => Engine.RunScript("function f(n) { return f(n + 1) }\nreturn f(0);", Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.RecursionLimit);
    }

    [Theory]
    [InlineData("typeof System")]
    [InlineData("typeof importNamespace")]
    [InlineData("typeof clrHelper")]
    [InlineData("typeof require")]
    [InlineData("typeof process")]
    public void EvaluateExpression_ClrAndHostAccess_IsUndefined(string expression)
    {
        Engine.EvaluateExpression(expression, Scope)!.GetValue<string>().Should().Be("undefined");
    }

    [Theory]
    [InlineData("globalThis.leak = secrets.token")]
    [InlineData("Object.prototype.leak = secrets.token")]
    [InlineData("Array.prototype.map = () => secrets.token")]
    [InlineData("JSON.stringify = () => secrets.token")]
    [InlineData("Math.leak = secrets.token")]
    public void EvaluateExpression_ChangingBuiltIns_IsNotSeenByTheNextEvaluation(string expression)
    {
        Engine.EvaluateExpression(expression, Scope);

        var after = Engine.EvaluateExpression("[typeof leak, ({}).leak, [1].map(x => x + 1), JSON.stringify(1), Math.leak]", Scope with { Secrets = null });

        after!.ToJsonString().Should().Be("""["undefined",null,[2],"1",null]""");
    }

    [Fact]
    public void EvaluateExpression_AfterAnotherRunWroteScopeVariables_SeesOnlyItsOwnScope()
    {
        var other = Scope with { Input = Json("""{ "body": { "id": "other" } }"""), Secrets = null };
        Engine.RunScript("input.body.id = 'tampered'; return 1;", Scope);

        var results = Enumerable.Range(0, 20).Select(_ => Engine.EvaluateExpression("input.body.id + (secrets.token ?? '')", other)!.GetValue<string>());

        results.Should().AllBe("other");
    }

    [Fact]
    public void EvaluateExpression_ThrowsAnError_NamesTheExpressionAndTheError()
    {
        var act = () => Engine.EvaluateExpression("steps.nothing.output.body.id", Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => e.Kind == ExpressionErrorKind.Runtime
                && e.Expression == "steps.nothing.output.body.id"
                && e.Message == "The expression 'steps.nothing.output.body.id' failed: TypeError: Cannot read properties of undefined (reading 'body').");
    }

    [Fact]
    public void RunScript_ThrowsWithASecret_MasksTheSecret()
    {
        var act = () => Engine.RunScript("throw new Error('token is ' + secrets.token);", Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => !e.Message.Contains("s3cr3t-value", StringComparison.Ordinal) && e.Message.Contains("token is ***", StringComparison.Ordinal)
                && e.Message.Contains("line 1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{{ input.body. }}")]
    [InlineData("{{ }}")]
    [InlineData("unclosed {{ input.body.id")]
    public void EvaluateTemplate_BadTemplate_FailsAsSyntax(string template)
    {
        var act = () => Engine.EvaluateTemplate(JsonSerializer.SerializeToElement(template), Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.Syntax);
    }

    [Fact]
    public void RunScript_Unparsable_FailsAsSyntaxWithLine()
    {
        var act = () => Engine.RunScript("const a = 1;\nreturn a +;", Scope);

        act.Should().Throw<ExpressionException>()
            .Where(e => e.Kind == ExpressionErrorKind.Syntax && e.Message.Contains("line 2", StringComparison.Ordinal));
    }

    [Fact]
    public void EvaluateExpression_BigInt_FailsAsResult()
    {
        var act = () => Engine.EvaluateExpression("10n", Scope);

        act.Should().Throw<ExpressionException>().Which.Kind.Should().Be(ExpressionErrorKind.Result);
    }

    [Fact]
    public async Task EvaluateTemplate_ManyThreads_EachGetsItsOwnScope()
    {
        var tasks = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            var scope = Scope with { Input = Json($$"""{ "n": {{worker}} }""") };
            return Enumerable.Range(0, 50).All(_ => Engine.EvaluateTemplate(JsonSerializer.SerializeToElement("{{ input.n * 10 }}"), scope)!.GetValue<long>() == worker * 10);
        }, TestContext.Current.CancellationToken));

        var results = await Task.WhenAll(tasks);

        results.Should().AllSatisfy(ok => ok.Should().BeTrue());
    }

    [Fact]
    public void Constructor_OptionsOutOfRange_Throws()
    {
        var act = () => new ExpressionEngine(new ExpressionOptions { MaxRecursionDepth = 0 });

        act.Should().Throw<System.ComponentModel.DataAnnotations.ValidationException>();
    }

    [Fact]
    public void Constructor_StringLimitOverAQuarterOfTheMemoryLimit_ThrowsNamingTheSetting()
    {
        var act = () => new ExpressionEngine(new ExpressionOptions { MemoryLimitBytes = 16L * 1024 * 1024, MaxStringLength = 5 * 1024 * 1024 });

        act.Should().Throw<System.ComponentModel.DataAnnotations.ValidationException>().WithMessage("*Flowkit:Expressions:MaxStringLength*");
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string Render(JsonNode? node) => node?.ToJsonString() ?? "null";
}
