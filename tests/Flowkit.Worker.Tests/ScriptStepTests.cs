namespace Flowkit.Worker.Tests;

/// <summary>The script step: the sandbox's limits fail the step, not the worker.</summary>
public sealed class ScriptStepTests : IAsyncLifetime
{
    // A generous time limit, so that on a busy machine the memory and statement limits are what stop the scripts
    // below; the time limit has a test of its own.
    private readonly StepHarness _worker = new(new Dictionary<string, string?>
    {
        ["Flowkit:Expressions:ScriptTimeout"] = "00:00:05",
        ["Flowkit:Expressions:MaxStatements"] = "100000",
    });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _worker.DisposeAsync();

    [Fact]
    public async Task Script_Return_IsTheOutput()
    {
        var output = await _worker.RunAsync("script", Code("""
            const items = [1, 2, 3].map(i => i * input.n);
            return { name: input.name.toUpperCase(), total: items.reduce((a, b) => a + b, 0), run: run.workflow };
            """));

        output!.ToJsonString().Should().Be("""{"name":"ADA","total":126,"run":"wf"}""");
    }

    [Fact]
    public async Task Script_ReadsSecrets()
    {
        var output = await _worker.RunAsync("script", Code("return secrets.api_token.length"), new Dictionary<string, string> { ["api_token"] = "abcdef" });

        output!.ToJsonString().Should().Be("6");
    }

    [Fact]
    public async Task Script_BracesInCode_AreNotTemplates()
    {
        var output = await _worker.RunAsync("script", Code("const o = {a: {b: 1}}; return o.a.b + 1"));

        output!.ToJsonString().Should().Be("2");
    }

    [Theory]
    [InlineData("while (true) {}", "statements")]
    [InlineData("for (;;) { }", "statements")]
    [InlineData("const a = []; while (true) { a.push('x'.repeat(100000)); }", "memory")]
    [InlineData("const f = () => f(); return f();", "nested deeper")]
    [InlineData("return 'y'.repeat(100000000).length;", "strings up to")]
    [InlineData("return JSON.stringify(Array(100000).fill('x'.repeat(1000))).length;", "strings up to")]
    public async Task Script_OverALimit_FailsWithoutRetryAndTheNextScriptRuns(string code, string limit)
    {
        var failure = await _worker.FailAsync("script", Code(code));

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("script_limit");
        failure.Message.Should().Contain(limit);
        (await _worker.RunAsync("script", Code("return 1 + 1")))!.ToJsonString().Should().Be("2");
    }

    [Fact]
    public async Task Script_EndlessLoopWithinTheStatementBudget_IsStoppedByTheTimeLimit()
    {
        await using var worker = new StepHarness(new Dictionary<string, string?> { ["Flowkit:Expressions:ScriptTimeout"] = "00:00:00.200" });

        var failure = await worker.FailAsync("script", Code("let i = 0; while (true) { i++; }"));

        failure.Code.Should().Be("script_limit");
        failure.Message.Should().MatchRegex("(time limit|statements)");
    }

    [Theory]
    [InlineData("throw new Error('boom')", "boom")]
    [InlineData("return input.missing.field", "TypeError")]
    [InlineData("return java.lang.System", "java")]
    public async Task Script_Throwing_FailsWithoutRetry(string code, string message)
    {
        var failure = await _worker.FailAsync("script", Code(code));

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("script");
        failure.Message.Should().Contain(message);
    }

    [Fact]
    public async Task Script_ThrowingASecret_DoesNotShowIt()
    {
        var failure = await _worker.FailAsync("script", Code("throw new Error('token is ' + secrets.api_token)"), new Dictionary<string, string> { ["api_token"] = "abcdef" });

        failure.Message.Should().NotContain("abcdef").And.Contain("***");
    }

    private static object Code(string code) => new { @with = new { code } };
}
