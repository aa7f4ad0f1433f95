using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// <c>respond: result</c> webhooks (issue #18): the delivery answers with the run's output when it ends in time,
/// with its error as a problem when it fails, and with the usual 202 and a Location to poll when the limit passes.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class WebhookResultTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    /// <summary>A hook whose run shapes the body in two steps; the second one's output is the answer.</summary>
    internal static string Shaping(string name, string respond, string extraStep = "") => $$$"""
        name: {{{name}}}
        triggers:
          - webhook: { key: {{{name}}}, {{{respond}}} }
        steps:
          - id: first
            type: transform
            with: { seen: "{{ input.body.n }}" }
        {{{extraStep}}}
          - id: answer
            type: transform
            with: { doubled: "{{ steps.first.output.seen * 2 }}" }
        """;

    [Fact]
    public async Task Hook_RespondResultFastRun_Answers200WithLastStepOutput()
    {
        var name = Api.UniqueName("result");
        await Client.CreateWorkflowAsync(Shaping(name, "respond: result"));

        var response = await Client.DeliverAsync(name, """{"n": 21}""");

        response.Status.Should().Be(HttpStatusCode.OK, response.ToString());
        response.Body.GetProperty("status").GetString().Should().Be("succeeded");
        response.Body.GetProperty("duplicate").GetBoolean().Should().BeFalse();
        response.Body.GetProperty("output").GetProperty("doubled").GetInt32().Should().Be(42);
        (await Client.GetRunAsync(response.RunId)).Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task Hook_RespondResultRunSlowerThanLimit_Answers202WithLocationToPoll()
    {
        var name = Api.UniqueName("slowresult");
        await Client.CreateWorkflowAsync(Shaping(name, "respond: result, respondTimeout: 1s", "  - { id: wait, type: delay, for: 3s }"));

        var response = await Client.DeliverAsync(name, """{"n": 1}""");

        response.Status.Should().Be(HttpStatusCode.Accepted, response.ToString());
        response.Headers.Location!.ToString().Should().Be($"/api/v1/runs/{response.RunId}");
        var run = await Client.WaitForRunEndAsync(response.RunId);
        run.Status().Should().Be("succeeded", run.ToString());
    }

    [Fact]
    public async Task Hook_RespondResultRunFails_Answers500ProblemWithRunError()
    {
        var name = Api.UniqueName("failresult");
        await Client.CreateWorkflowAsync($$"""
            name: {{name}}
            triggers:
              - webhook: { key: {{name}}, respond: result }
            steps:
              - id: boom
                type: script
                with: { code: "throw new Error('no invoice ' + input.body.id)" }
            """);

        var response = await Client.DeliverAsync(name, """{"id": "inv-7"}""");

        response.Status.Should().Be(HttpStatusCode.InternalServerError, response.ToString());
        response.Body.GetProperty("type").GetString().Should().Be(ProblemTypes.RunFailed);
        response.Body.GetProperty("status").GetString().Should().Be("failed");
        response.Body.GetProperty("detail").GetString().Should().Contain("no invoice inv-7");
        var runId = response.Body.GetProperty("runId").GetGuid();
        (await Client.GetRunAsync(runId)).Status().Should().Be("failed");
    }

    [Fact]
    public async Task Hook_RespondResultDuplicateDelivery_WaitsForAndReturnsFirstRunsResult()
    {
        var name = Api.UniqueName("dupresult");
        await Client.CreateWorkflowAsync(Shaping(name, "respond: result", "  - { id: wait, type: delay, for: 1s }"));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "same-delivery" };

        // The second delivery arrives while the first still waits for its run, and a third after it ended.
        var first = Client.DeliverAsync(name, """{"n": 5}""", headers);
        var second = Client.DeliverAsync(name, """{"n": 5}""", headers);
        var answers = await Task.WhenAll(first, second);
        var third = await Client.DeliverAsync(name, """{"n": 5}""", headers);

        answers.Append(third).Should().AllSatisfy(a =>
        {
            a.Status.Should().Be(HttpStatusCode.OK, a.ToString());
            a.Body.GetProperty("output").GetProperty("doubled").GetInt32().Should().Be(10);
        });
        answers.Append(third).Select(a => a.RunId).Distinct().Should().ContainSingle();
        answers.Count(a => a.Duplicate).Should().Be(1);
        third.Duplicate.Should().BeTrue();
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
    }

    [Fact]
    public async Task Hook_RespondTimeoutWithoutResult_Answers422NamingTheField()
    {
        var name = Api.UniqueName("badrespond");

        var answer = await Client.PostYamlAsync("/api/v1/workflows", $$"""
            name: {{name}}
            triggers:
              - webhook: { key: {{name}}, respond: result, respondTimeout: 10m }
            steps:
              - { id: a, type: transform, with: {} }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Text.Should().Contain("$.triggers[0].webhook.respondTimeout").And.Contain("1m40s");
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }
}
