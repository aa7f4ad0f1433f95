using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;
using Microsoft.Playwright;

namespace Flowkit.Console.Tests;

/// <summary>The web console (issue #13) driven in headless Chromium against a real host, as a person uses it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleTests(ConsoleFixture console)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    private async Task<IPage> SignedInAsync(bool phone = false)
    {
        var page = await console.NewPageAsync(phone);
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(FlowkitFixture.BootstrapKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Workflows", Exact = true }).WaitForAsync();
        return page;
    }

    private async Task CreateWorkflowAsync(string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var answer = await console.Api.PostAsync(new Uri("/api/v1/workflows", UriKind.Relative), content, Cancel);
        answer.IsSuccessStatusCode.Should().BeTrue(await answer.Content.ReadAsStringAsync(Cancel));
    }

    private async Task<JsonElement> ReadAsync(string path) =>
        await console.Api.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative), Cancel);

    [Fact]
    public async Task SignIn_NoKey_ShowsOnlyTheSignInForm()
    {
        var page = await console.NewPageAsync();

        await page.GotoAsync("/runs");

        await page.GetByLabel("API key").WaitForAsync();
        (await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).CountAsync()).Should().Be(0);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in");
    }

    [Fact]
    public async Task SignIn_WrongKey_SaysTheKeyIsNotValidAndStaysSignedOut()
    {
        var page = await console.NewPageAsync();
        await page.GotoAsync("/");

        await page.GetByLabel("API key").FillAsync("fk_not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "not valid" }).WaitForAsync();
        (await page.EvaluateAsync<string?>("() => sessionStorage.getItem('flowkit.apiKey')")).Should().BeNull();
    }

    [Fact]
    public async Task SignIn_BootstrapKey_ListsWorkflowsWithLastRunAndTriggers()
    {
        var name = UniqueName("listed");
        await CreateWorkflowAsync($"name: {name}\ntriggers:\n  - webhook: {{ key: {name} }}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n");
        using var started = await console.Api.PostAsJsonAsync(new Uri($"/api/v1/workflows/{name}/runs", UriKind.Relative), new { input = new { } }, Cancel);
        started.IsSuccessStatusCode.Should().BeTrue();

        var page = await SignedInAsync();

        var row = page.Locator($"tr[data-workflow='{name}']");
        await row.GetByText("webhook").WaitForAsync();
        await row.Locator(".badge").WaitForAsync();
        (await page.EvaluateAsync<string?>("() => sessionStorage.getItem('flowkit.apiKey')")).Should().Be(FlowkitFixture.BootstrapKey);
        await ConsoleFixture.ScreenshotAsync(page, "workflows");
    }

    [Fact]
    public async Task Editor_InvalidStepType_ShowsTheProblemAtItsLineThenSavesOnceFixed()
    {
        var name = UniqueName("edited");
        var page = await SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New workflow", Exact = true }).ClickAsync();
        var editor = page.GetByLabel("Definition");

        await editor.FillAsync($"name: {name}\nsteps:\n  - id: first\n    type: transform\n    with: {{ x: 1 }}\n  - id: second\n    type: teleport\n");

        var problem = page.Locator("#problems li[data-line='7']");
        await problem.WaitForAsync();
        (await problem.InnerTextAsync()).Should().Contain("Line 7").And.Contain("unknown type 'teleport'");
        (await page.Locator(".gutter .bad").InnerTextAsync()).Should().Be("7");
        await ConsoleFixture.ScreenshotAsync(page, "editor-problem");

        await editor.FillAsync($"name: {name}\nsteps:\n  - id: first\n    type: transform\n    with: {{ x: 1 }}\n  - id: second\n    type: transform\n    with: {{ y: 2 }}\n");
        await page.GetByText("No problems").WaitForAsync();
        await page.Locator("svg.dag [data-step='second']").WaitForAsync();
        await ConsoleFixture.ScreenshotAsync(page, "editor");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workflow" }).ClickAsync();

        // The console navigates in the page (history API): wait for the workflow's page, not for a load.
        await page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true }).WaitForAsync();
        page.Url.Should().EndWith($"/workflows/{name}");
        var stored = await ReadAsync($"/api/v1/workflows/{name}");
        stored.GetProperty("version").GetInt32().Should().Be(1);
        stored.GetProperty("definition").GetProperty("steps").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task Run_StartedFromTheWorkflowPage_ReachesSucceededLive()
    {
        var name = UniqueName("watched");
        await CreateWorkflowAsync($$$"""
            name: {{{name}}}
            triggers:
              - webhook: { key: {{{name}}} }
            steps:
              - { id: greet, type: transform, with: { message: "Hello {{ input.name }}" } }
              - { id: check, type: condition, if: "input.name == 'Ada'", then: [known], else: [unknown] }
              - { id: known, type: transform, with: { who: "known" } }
              - { id: unknown, type: transform, with: { who: "unknown" } }
              - { id: done, type: transform, needs: [known, unknown], with: { ok: true } }
            """);
        var page = await SignedInAsync();
        await page.GotoAsync($"/workflows/{name}");
        await page.Locator("svg.dag [data-step='done']").WaitForAsync();
        (await page.GetByTestId("webhook-url").InnerTextAsync()).Should().EndWith($"/hooks/default/{name}");
        await ConsoleFixture.ScreenshotAsync(page, "workflow");

        await page.GetByLabel("Input (JSON").FillAsync("""{"name": "Ada"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();

        await page.GetByRole(AriaRole.Heading, new() { Name = $"Run of {name}" }).WaitForAsync();
        page.Url.Should().MatchRegex("/runs/[0-9a-f-]{36}$");
        // No reload: the page follows the run by itself (SSE, or the timeline polled with its cursor).
        await page.Locator("[data-testid='run-status'] [data-status='succeeded']").WaitForAsync(new() { Timeout = (float)Eventually.Stretch(TimeSpan.FromSeconds(60)).TotalMilliseconds });
        await page.Locator("svg.dag [data-step='unknown'][data-status='skipped']").WaitForAsync();
        await page.Locator("svg.dag [data-step='done'][data-status='succeeded']").WaitForAsync();
        await page.Locator(".timeline li[data-type='RunSucceeded']").WaitForAsync();
        await ConsoleFixture.ScreenshotAsync(page, "run");
    }

    [Fact]
    public async Task Approvals_WaitingStep_ApprovedFromTheInboxWithAComment()
    {
        var name = UniqueName("approved");
        await CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - { id: ask, type: approval, message: "Pay invoice {{ input.id }}?" }
              - { id: pay, type: transform, with: { paid: true } }
            """);
        using var started = await console.Api.PostAsJsonAsync(new Uri($"/api/v1/workflows/{name}/runs", UriKind.Relative), new { input = new { id = "INV-7" } }, Cancel);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("runId").GetGuid();
        await Eventually.UntilAsync(() => ReadAsync($"/api/v1/runs/{runId}"), r => r.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(60), $"run {runId} to wait");
        var page = await SignedInAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Approvals", Exact = true }).ClickAsync();
        var card = page.Locator($"[data-approval='{name}/ask']");
        await card.GetByText("Pay invoice INV-7?").WaitForAsync();
        await ConsoleFixture.ScreenshotAsync(page, "approvals");
        await card.GetByLabel("Comment").FillAsync("Checked the amount");
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var run = await Eventually.UntilAsync(() => ReadAsync($"/api/v1/runs/{runId}"), r => r.GetProperty("status").GetString() == "succeeded", TimeSpan.FromSeconds(60), $"run {runId} to succeed");
        var events = await ReadAsync($"/api/v1/runs/{runId}/events?limit=500");
        var decided = events.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "ApprovalDecided");
        decided.GetProperty("data").GetRawText().Should().Contain("Checked the amount");
        run.GetProperty("status").GetString().Should().Be("succeeded");
    }

    [Fact]
    public async Task Runs_FilteredByWorkflowAndStatus_ShowOnlyMatchingRuns()
    {
        var name = UniqueName("filtered");
        await CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n");
        using var started = await console.Api.PostAsJsonAsync(new Uri($"/api/v1/workflows/{name}/runs", UriKind.Relative), new { input = new { } }, Cancel);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("runId").GetGuid();
        await Eventually.UntilAsync(() => ReadAsync($"/api/v1/runs/{runId}"), r => r.GetProperty("status").GetString() == "succeeded", TimeSpan.FromSeconds(60), $"run {runId} to succeed");
        var page = await SignedInAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Runs", Exact = true }).ClickAsync();
        await page.GetByLabel("Workflow", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("succeeded");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        // The unfiltered list showed this run too: wait for the filtered one (only this run) to replace it.
        await Assertions.Expect(page.Locator("tr[data-run]")).ToHaveCountAsync(1);
        await page.Locator($"tr[data-run='{runId}']").WaitForAsync();
        page.Url.Should().Contain($"workflow={name}").And.Contain("status=succeeded");
        await ConsoleFixture.ScreenshotAsync(page, "runs");
    }

    [Fact]
    public async Task Operations_Page_ShowsDeadLettersForTheDefaultAdmin()
    {
        var page = await SignedInAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Operations", Exact = true }).ClickAsync();

        await page.GetByRole(AriaRole.Heading, new() { Name = "Dead letters" }).WaitForAsync();
        await page.Locator("text=/No dead letters|Redrive to/").First.WaitForAsync();
        await ConsoleFixture.ScreenshotAsync(page, "operations");
    }

    [Fact]
    public async Task Console_OnAPhone_NavigatesWithoutSideScrolling()
    {
        var page = await SignedInAsync(phone: true);

        var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");

        width.Should().BeLessThanOrEqualTo(390);
        await ConsoleFixture.ScreenshotAsync(page, "phone");
    }

    [Fact]
    public async Task Host_ConsoleAnswers_CarryAContentSecurityPolicyWithoutInlineScripts()
    {
        using var index = await console.Api.GetAsync(new Uri("/runs/anything", UriKind.Relative), Cancel);
        using var unknownApi = await console.Api.GetAsync(new Uri("/api/v1/nothing-here", UriKind.Relative), Cancel);

        index.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var policy = index.Headers.GetValues("Content-Security-Policy").Single();
        policy.Should().Contain("script-src 'self'").And.NotContain("unsafe-inline");
        (await index.Content.ReadAsStringAsync(Cancel)).Should().NotContainAny("<script>", "onload=");
        unknownApi.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        unknownApi.Content.Headers.ContentType?.MediaType.Should().NotBe("text/html");
    }
}
