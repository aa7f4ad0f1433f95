using System.Globalization;
using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Steps;

/// <summary>
/// Language details users hit (issue #12), end to end through real RabbitMQ and PostgreSQL: continueOnError,
/// delay until, retry.on of http steps, and a branch step that also names its condition in needs.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class LanguageDetailsTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task ContinueOnError_StepFails_RunGoesOnAndSucceeds()
    {
        await using var target = await CaptureTarget.StartAsync();
        var name = Api.UniqueName("continue");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: flaky
                type: http
                with: { url: "{{{target.Url("fail/400")}}}" }
                continueOnError: true
              - id: next
                type: transform
                with: { flakyOutput: "{{ steps.flaky.output }}" }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name));

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "flaky").Status().Should().Be("failed");
        Api.Step(run, "flaky").GetProperty("error").GetString().Should().Contain("400");
        Api.Step(run, "next").Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task DelayUntil_TimeFromTheInput_WaitsUntilThenGoesOn()
    {
        var name = Api.UniqueName("until");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: wait
                type: delay
                until: "{{ input.at }}"
              - id: after
                type: transform
                with: { done: true }
            """);
        var at = DateTimeOffset.UtcNow.AddSeconds(3);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { at = at.ToString("O", CultureInfo.InvariantCulture) }));

        run.Status().Should().Be("succeeded", run.ToString());
        var output = Api.Step(run, "wait").GetProperty("output");
        output.GetProperty("waitedUntil").GetDateTimeOffset().Should().BeCloseTo(at, TimeSpan.FromMilliseconds(1));
        output.GetProperty("resumedAt").GetDateTimeOffset().Should().BeOnOrAfter(at);
        Api.Step(run, "after").GetProperty("startedAt").GetDateTimeOffset().Should().BeOnOrAfter(at, "the next step starts only once the time has come");
    }

    [Fact]
    public async Task DelayUntil_NotATime_StepFailsSayingWhy()
    {
        var name = Api.UniqueName("until-bad");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: wait
                type: delay
                until: "{{ input.at }}"
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { at = "next tuesday" }));

        run.Status().Should().Be("failed");
        Api.Step(run, "wait").GetProperty("error").GetString().Should().Contain("next tuesday");
    }

    [Theory]
    [InlineData(503, "[429]", 1)]
    [InlineData(429, "[429]", 3)]
    [InlineData(409, "[4xx]", 3)]
    [InlineData(500, "[5xx, timeout]", 3)]
    public async Task RetryOn_HttpFailure_RetriedOnlyWhenListed(int status, string on, int calls)
    {
        await using var target = await CaptureTarget.StartAsync();
        var name = Api.UniqueName("retry-on");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { url: "{{{target.Url($"fail/{status}")}}}" }
                retry: { attempts: 3, delay: 100ms, on: {{{on}}} }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name));

        run.Status().Should().Be("failed");
        Api.Step(run, "call").GetProperty("attempts").GetInt32().Should().Be(calls, run.ToString());
        target.Failures[status].Should().Be(calls);
    }

    [Fact]
    public async Task RetryOn_OnANonHttpStepOrUnknownClass_IsRejectedNamingTheField()
    {
        var answer = await Client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{Api.UniqueName("retry-on-bad")}}}
            steps:
              - { id: a, type: transform, with: { x: 1 }, retry: { attempts: 2, on: [5xx] } }
              - { id: b, type: http, with: { url: "http://127.0.0.1:9/x" }, retry: { attempts: 2, on: [3xx, 429] } }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        var paths = answer.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToArray();
        paths.Should().Equal("$.steps[0].retry.on", "$.steps[1].retry.on[0]");
    }

    [Fact]
    public async Task BranchStepNamingItsConditionInNeeds_IsAcceptedAndRunsOnlyOnItsBranch()
    {
        var name = Api.UniqueName("branch-needs");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: check
                type: condition
                if: "input.big"
                then: [approve_it]
                else: [pay_it]
              - id: approve_it
                type: transform
                needs: [check]
                with: { approved: true }
              - id: pay_it
                type: transform
                needs: [check]
                with: { paid: true }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { big = true }));

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "approve_it").Status().Should().Be("succeeded");
        Api.Step(run, "pay_it").Status().Should().Be("skipped");
    }
}
