using System.Text.Json;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>The same definition gives the same canonical JSON and plan whatever its format, key order or spacing.</summary>
public sealed class CanonicalJsonTests
{
    private const string ContractYaml = """
        name: invoice-approval
        description: Pay large invoices only after a manager approves
        triggers:
          - webhook: { key: invoices, secret: "{{ secrets.billing_hook }}", dedupe: "body.id", limit: 50/s, overflow: reject }
          - cron: { expression: "0 0 9 ? * MON-FRI", timezone: "Asia/Seoul" }
        steps:
          - id: fetch
            type: http
            with: { method: GET, url: "http://billing.internal/invoices/{{ input.body.id }}" }
            retry: { attempts: 5, backoff: exponential, delay: 2s, maxDelay: 1m }
            timeout: 30s
          - id: is_big
            type: condition
            if: "steps.fetch.output.body.amount > 1000"
            then: [approve]
            else: [pay]
          - id: approve
            type: approval
            message: "Pay invoice {{ input.body.id }}?"
            timeout: 24h
          - id: pay
            type: http
            needs: [approve]
            with: { method: POST, url: "http://billing.internal/pay", body: { id: "{{ input.body.id }}" } }
          - id: tell
            type: notify
            with: { url: "{{ secrets.slack_url }}", text: "Paid {{ input.body.id }}" }
        """;

    // The same definition by hand in JSON: keys in another order, other spacing, 5.0 for 5.
    private const string ContractJson = """
        {
          "steps": [
            { "type": "http", "id": "fetch", "timeout": "30s",
              "retry": { "maxDelay": "1m", "delay": "2s", "backoff": "exponential", "attempts": 5.0 },
              "with": { "url": "http://billing.internal/invoices/{{ input.body.id }}", "method": "GET" } },
            { "else": ["pay"], "then": ["approve"], "if": "steps.fetch.output.body.amount > 1000", "type": "condition", "id": "is_big" },
            { "timeout": "24h", "message": "Pay invoice {{ input.body.id }}?", "type": "approval", "id": "approve" },
            { "with": { "body": { "id": "{{ input.body.id }}" }, "url": "http://billing.internal/pay", "method": "POST" },
              "needs": ["approve"], "type": "http", "id": "pay" },
            { "with": { "text": "Paid {{ input.body.id }}", "url": "{{ secrets.slack_url }}" }, "type": "notify", "id": "tell" }
          ],
          "triggers": [
            { "webhook": { "overflow": "reject", "limit": "50/s", "dedupe": "body.id", "secret": "{{ secrets.billing_hook }}", "key": "invoices" } },
            { "cron": { "timezone": "Asia/Seoul", "expression": "0 0 9 ? * MON-FRI" } }
          ],
          "description": "Pay large invoices only after a manager approves",
          "name": "invoice-approval",
        }
        """;

    [Fact]
    public void Compile_SameDefinitionInYamlAndJson_GivesTheSameCanonicalJsonAndPlan()
    {
        var yaml = Yaml(ContractYaml);
        var json = Definitions.Json(ContractJson);

        yaml.Errors.Should().BeEmpty();
        json.Errors.Should().BeEmpty();
        json.CanonicalJson.Should().Be(yaml.CanonicalJson);
        PlanText.Of(json.Plan!).Should().Be(PlanText.Of(yaml.Plan!));
        json.Definition!.Triggers.Should().Equal(yaml.Definition!.Triggers);
    }

    [Fact]
    public void Compile_CanonicalJsonAgain_GivesTheSameCanonicalJsonAndPlan()
    {
        var first = Yaml(ContractYaml);
        using var stored = JsonDocument.Parse(first.CanonicalJson!);

        var again = SharedCompiler.Compile(stored.RootElement);

        again.Errors.Should().BeEmpty();
        again.CanonicalJson.Should().Be(first.CanonicalJson);
        PlanText.Of(again.Plan!).Should().Be(PlanText.Of(first.Plan!));
    }

    [Fact]
    public void Compile_ContractExample_HasThisCanonicalJson()
    {
        var compilation = Yaml(ContractYaml);

        compilation.CanonicalJson.Should().Be(
            """{"name":"invoice-approval","description":"Pay large invoices only after a manager approves","triggers":[{"webhook":{"key":"invoices","secret":"{{ secrets.billing_hook }}","dedupe":"body.id","limit":"50/s","overflow":"reject"}},{"cron":{"expression":"0 0 9 ? * MON-FRI","timezone":"Asia/Seoul"}}],"steps":[{"id":"fetch","type":"http","with":{"method":"GET","url":"http://billing.internal/invoices/{{ input.body.id }}"},"timeout":"30s","retry":{"attempts":5,"backoff":"exponential","delay":"2s","maxDelay":"1m"}},{"id":"is_big","type":"condition","if":"steps.fetch.output.body.amount > 1000","then":["approve"],"else":["pay"]},{"id":"approve","type":"approval","message":"Pay invoice {{ input.body.id }}?","timeout":"24h"},{"id":"pay","type":"http","needs":["approve"],"with":{"method":"POST","url":"http://billing.internal/pay","body":{"id":"{{ input.body.id }}"}}},{"id":"tell","type":"notify","with":{"url":"{{ secrets.slack_url }}","text":"Paid {{ input.body.id }}"}}]}""");
    }

    [Fact]
    public void Compile_FreeFormObjects_HaveSortedKeysAndPlainNumbers()
    {
        var compilation = Yaml("""
            steps:
              - with: { zeta: 1.0, alpha: { b: 2, a: [3, 1e2] }, Mid: "ünïcode ✓" }
                type: transform
                id: x
            name: t
            """);

        compilation.CanonicalJson.Should().Be("""{"name":"t","steps":[{"id":"x","type":"transform","with":{"Mid":"ünïcode ✓","alpha":{"a":[3,100],"b":2},"zeta":1}}]}""");
    }

    [Fact]
    public void Compile_SingleIdInsteadOfList_IsCanonicalizedToAList()
    {
        var single = Yaml(Workflow("  - { id: a, type: transform, with: {} }\n  - { id: b, type: transform, with: {}, needs: a }\n"));
        var list = Yaml(Workflow("  - { id: a, type: transform, with: {} }\n  - { id: b, type: transform, with: {}, needs: [a] }\n"));

        single.CanonicalJson.Should().Be(list.CanonicalJson);
    }

    [Theory]
    [InlineData("with: { url: \"http://127.0.0.1:8080/b\" }")]
    [InlineData("with: { url: \"http://127.0.0.1:8080/a\", method: POST }")]
    [InlineData("with: { url: \"http://127.0.0.1:8080/a\" }, timeout: 10s")]
    [InlineData("with: { url: \"http://127.0.0.1:8080/a\" }, needs: []")]
    public void Compile_ChangedDefinition_GivesDifferentCanonicalJson(string changed)
    {
        var original = Yaml(Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1:8080/a\" } }\n"));

        var other = Yaml(Workflow($"  - {{ id: a, type: http, {changed} }}\n"));

        other.CanonicalJson.Should().NotBe(original.CanonicalJson);
    }

    [Theory]
    [InlineData("yes", "\"yes\"")]
    [InlineData("on", "\"on\"")]
    [InlineData("09:00", "\"09:00\"")]
    [InlineData("2024-01-01", "\"2024-01-01\"")]
    [InlineData("\"5\"", "\"5\"")]
    [InlineData("'true'", "\"true\"")]
    [InlineData("!!str 12", "\"12\"")]
    [InlineData("5", "5")]
    [InlineData("-2.50", "-2.5")]
    [InlineData("0x1F", "31")]
    [InlineData("0o17", "15")]
    [InlineData("true", "true")]
    [InlineData("~", "null")]
    [InlineData("", "null")]
    [InlineData(".inf", "\".inf\"")]
    public void Compile_YamlScalars_FollowTheYaml12CoreSchema(string yaml, string json)
    {
        var compilation = Yaml(Workflow($"  - id: a\n    type: transform\n    with:\n      v: {yaml}\n"));

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!["a"].Spec.GetProperty("with").GetProperty("v").GetRawText().Should().Be(json);
    }

    [Fact]
    public void Compile_YamlAnchorsAndAliases_AreExpanded()
    {
        var compilation = Yaml("""
            name: t
            steps:
              - { id: a, type: http, with: &call { method: GET, url: "http://127.0.0.1:8080/x" } }
              - { id: b, type: http, with: *call }
            """);

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!["b"].Spec.GetProperty("with").GetRawText().Should().Be(compilation.Plan["a"].Spec.GetProperty("with").GetRawText());
    }

    [Fact]
    public void Compile_ValidDefinition_GivesTheTypedModel()
    {
        var definition = Yaml(ContractYaml).Definition!;

        definition.Name.Should().Be("invoice-approval");
        definition.Triggers.Should().Equal(
            new WebhookTrigger("invoices", "{{ secrets.billing_hook }}", "body.id", new WebhookRateLimit(50, TimeSpan.FromSeconds(1)), WebhookOverflow.Reject),
            new CronTrigger("0 0 9 ? * MON-FRI", "Asia/Seoul"));
        definition.Steps.Select(s => s.Id).Should().Equal("fetch", "is_big", "approve", "pay", "tell");
        definition.Steps[1].Then.Should().Equal("approve");
        definition.Steps[1].Else.Should().Equal("pay");
        definition.Steps[1].If.Should().Be("steps.fetch.output.body.amount > 1000");
        definition.Steps[2].Message.Should().Be("Pay invoice {{ input.body.id }}?");
        definition.Steps[3].Needs.Should().Equal("approve");
        definition.Steps[4].Needs.Should().BeNull();
        definition.Steps[4].With!.Value.GetProperty("text").GetString().Should().Be("Paid {{ input.body.id }}");
    }
}
