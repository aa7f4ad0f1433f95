using System.Net.Http.Json;
using System.Text.Json;
using Flowkit.Testing;
using Microsoft.Playwright;

namespace Flowkit.Console.Tests;

/// <summary>Pause, resume and rerun on the run page (issue #13; docs/run-control.md).</summary>
public sealed partial class ConsoleTests
{
    private static float Wait(int seconds) => (float)Eventually.Stretch(TimeSpan.FromSeconds(seconds)).TotalMilliseconds;

    private async Task<Guid> StartRunAsync(string workflow)
    {
        using var started = await console.Api.PostAsJsonAsync(new Uri($"/api/v1/workflows/{workflow}/runs", UriKind.Relative), new { input = new { order = 7 } }, Cancel);
        started.IsSuccessStatusCode.Should().BeTrue(await started.Content.ReadAsStringAsync(Cancel));
        return (await started.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("runId").GetGuid();
    }

    private Task<JsonElement> WaitForRunAsync(Guid runId, string status) =>
        Eventually.UntilAsync(() => ReadAsync($"/api/v1/runs/{runId}"), r => r.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(60), $"run {runId} to be {status}");

    private static ILocator RunStatus(IPage page, string status) => page.Locator($"[data-testid='run-status'] [data-status='{status}']");

    [Fact]
    public async Task Run_PausedWhileAStepRuns_ReadsPausedHoldsTheNextStepAndResumesToSucceeded()
    {
        await using var target = await StepTarget.StartAsync();
        var name = UniqueName("paused");
        await CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - { id: slow, type: http, with: { method: GET, url: "{{target.Url("held/slow")}}" } }
              - { id: after, type: transform, with: { done: true } }
            """);
        var runId = await StartRunAsync(name);
        await Eventually.UntilAsync(() => Task.FromResult(target.Calls("held/slow")), n => n == 1, TimeSpan.FromSeconds(60), "the slow step to call its target");
        var page = await SignedInAsync();
        await page.GotoAsync($"/runs/{runId}");
        await RunStatus(page, "running").WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Pause run", Exact = true }).ClickAsync();

        await RunStatus(page, "paused").WaitForAsync(new() { Timeout = Wait(60) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume run", Exact = true }).WaitForAsync();
        (await page.GetByRole(AriaRole.Button, new() { Name = "Pause run", Exact = true }).CountAsync()).Should().Be(0);
        // The running step finishes while the run is paused; the step after it is held.
        target.Release();
        await page.Locator("svg.dag [data-step='slow'][data-status='succeeded']").WaitForAsync(new() { Timeout = Wait(60) });
        await ConsoleFixture.ScreenshotAsync(page, "run-paused");
        (await ReadAsync($"/api/v1/runs/{runId}")).GetProperty("status").GetString().Should().Be("paused");
        await page.Locator("svg.dag [data-step='after'][data-status='pending']").WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume run", Exact = true }).ClickAsync();

        await RunStatus(page, "succeeded").WaitForAsync(new() { Timeout = Wait(60) });
        await page.Locator("svg.dag [data-step='after'][data-status='succeeded']").WaitForAsync();
        await page.Locator(".timeline li[data-type='RunPaused']").WaitForAsync();
        await page.Locator(".timeline li[data-type='RunResumed']").WaitForAsync();
        target.Calls("held/slow").Should().Be(1);
    }

    [Fact]
    public async Task Run_FailedRerunFromTheFailedStep_NewRunSucceedsAndEarlierStepsAreNotCalledAgain()
    {
        await using var target = await StepTarget.StartAsync();
        var name = UniqueName("rerun");
        await CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - { id: fetch, type: http, with: { method: GET, url: "{{{target.Url("ok/fetch")}}}" } }
              - { id: charge, type: http, with: { method: POST, url: "{{{target.Url("broken/charge")}}}" } }
              - { id: notify, type: transform, with: { charged: "{{ steps.charge.output.status }}" } }
            """);
        var failed = await StartRunAsync(name);
        await WaitForRunAsync(failed, "failed");
        target.Calls("ok/fetch").Should().Be(1);
        target.Calls("broken/charge").Should().Be(1);
        target.Fix();
        var page = await SignedInAsync();
        await page.GotoAsync($"/runs/{failed}");
        await RunStatus(page, "failed").WaitForAsync();

        var picker = page.GetByLabel("Rerun from", new() { Exact = true });
        (await picker.InputValueAsync()).Should().Be("charge", "the picker starts at the failed step");
        await picker.SelectOptionAsync("charge");
        await ConsoleFixture.ScreenshotAsync(page, "run-failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rerun", Exact = true }).ClickAsync();

        // The console opens the new run and follows it live.
        // It navigates in the page (history API, no load event): wait for the new run's link back, or an error.
        var refused = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not" });
        await page.GetByText("A rerun of").Or(refused).First.WaitForAsync(new() { Timeout = Wait(60) });
        (await refused.CountAsync()).Should().Be(0, await page.Locator("main").InnerTextAsync());
        page.Url.Should().NotContain(failed.ToString());
        var rerunId = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);
        await RunStatus(page, "succeeded").WaitForAsync(new() { Timeout = Wait(60) });
        await page.GetByText("reused from the earlier run").WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = $"run {failed}" }).First.WaitForAsync();
        await ConsoleFixture.ScreenshotAsync(page, "run-rerun");

        var rerun = await ReadAsync($"/api/v1/runs/{rerunId}");
        rerun.GetProperty("rerunOf").GetGuid().Should().Be(failed);
        rerun.GetProperty("rerunFrom").GetString().Should().Be("charge");
        target.Calls("ok/fetch").Should().Be(1, "the step before the rerun's first step reuses its recorded result");
        target.Calls("broken/charge").Should().Be(2);
    }

    [Fact]
    public async Task Run_RerunRefused_SaysWhyInPlainWordsAndStartsNothing()
    {
        var name = UniqueName("archived");
        await CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n");
        var runId = await StartRunAsync(name);
        await WaitForRunAsync(runId, "succeeded");
        var page = await SignedInAsync();
        await page.GotoAsync($"/runs/{runId}");
        await RunStatus(page, "succeeded").WaitForAsync();
        // Archived behind the console's back: the server refuses the rerun with 409.
        using (var archived = await console.Api.DeleteAsync(new Uri($"/api/v1/workflows/{name}", UriKind.Relative), Cancel))
        {
            archived.IsSuccessStatusCode.Should().BeTrue();
        }

        await page.Locator("#step-a summary").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rerun from step a", Exact = true }).ClickAsync();

        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not rerun the run" });
        await alert.WaitForAsync();
        (await alert.InnerTextAsync()).Should().Contain($"The workflow '{name}' is archived");
        page.Url.Should().EndWith($"/runs/{runId}");
        var runs = await ReadAsync($"/api/v1/runs?workflow={name}");
        runs.GetProperty("items").GetArrayLength().Should().Be(1);
    }
}
