using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Steps;

/// <summary>Callback steps (issue #12) through real RabbitMQ and PostgreSQL: the one-time URL, its timeout, its one call.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class CallbackTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    /// <summary>A workflow whose http step sends the callback URL out while the callback step waits beside it.</summary>
    private async Task<(Guid RunId, string CallbackPath)> StartAsync(CaptureTarget target, string timeout)
    {
        var name = Api.UniqueName("callback");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: tell
                type: http
                needs: []
                with: { method: POST, url: "{{{target.Url("capture")}}}", body: { replyTo: "{{ steps.wait.callbackUrl }}" } }
              - id: wait
                type: callback
                needs: []
                timeout: {{{timeout}}}
              - id: after
                type: transform
                needs: [wait]
                with: { answer: "{{ steps.wait.output.answer }}" }
            """);
        var runId = await Client.StartRunAsync(name);
        var sent = await Eventually.UntilAsync(
            () => Task.FromResult(target.Bodies.ToArray()), bodies => bodies.Length > 0, TimeSpan.FromSeconds(30), "the http step to send the callback URL");
        var url = new Uri(sent[0].GetProperty("replyTo").GetString()!);
        return (runId, url.PathAndQuery);
    }

    [Fact]
    public async Task Callback_CalledBeforeTimeout_StepSucceedsWithTheBodyAndTheNextStepReadsIt()
    {
        await using var target = await CaptureTarget.StartAsync();
        var (runId, path) = await StartAsync(target, "5m");
        path.Should().MatchRegex("^/callbacks/[A-Za-z0-9_-]{43}$", "the URL carries 32 random-looking bytes, base64url");
        await Client.WaitForStepAsync(runId, "wait", "waiting");

        // No API key: the URL is the credential.
        using var outsider = flowkit.CreateClient(apiKey: null);
        var (status, body) = await outsider.PostJsonAsync(path, new { answer = 42, note = "done" });

        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        body.GetProperty("received").GetBoolean().Should().BeTrue();
        body.EnumerateObject().Select(p => p.Name).Should().Equal("received"); // reveals nothing about the run
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "wait").GetProperty("output").GetProperty("answer").GetInt32().Should().Be(42);
        Api.Step(run, "after").GetProperty("output").GetProperty("answer").GetInt32().Should().Be(42);
    }

    [Fact]
    public async Task Callback_CalledTwice_SecondCallAnswers409AndChangesNothing()
    {
        await using var target = await CaptureTarget.StartAsync();
        var (runId, path) = await StartAsync(target, "5m");
        using var outsider = flowkit.CreateClient(apiKey: null);

        var first = await outsider.PostJsonAsync(path, new { answer = 1 });
        var second = await outsider.PostJsonAsync(path, new { answer = 2 });

        first.Status.Should().Be(HttpStatusCode.Accepted);
        second.Status.Should().Be(HttpStatusCode.Conflict);
        second.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/conflict");
        var run = await Client.WaitForRunEndAsync(runId);
        Api.Step(run, "wait").GetProperty("output").GetProperty("answer").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Callback_CalledAfterTimeout_StepFailedAndCallAnswers410()
    {
        await using var target = await CaptureTarget.StartAsync();
        var (runId, path) = await StartAsync(target, "1s");

        var run = await Client.WaitForRunEndAsync(runId);
        using var outsider = flowkit.CreateClient(apiKey: null);
        var (status, body) = await outsider.PostJsonAsync(path, new { answer = 42 });

        run.Status().Should().Be("failed", run.ToString());
        Api.Step(run, "wait").Status().Should().Be("failed");
        Api.Step(run, "wait").GetProperty("error").GetString().Should().Contain("No call arrived");
        Api.Step(run, "after").Status().Should().Be("cancelled");
        status.Should().Be(HttpStatusCode.Gone, body.ToString());
        body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/gone");
    }

    [Fact]
    public async Task Callback_ArrivesBeforeItsStepStarts_StepSucceedsAsSoonAsItStarts()
    {
        await using var target = await CaptureTarget.StartAsync();
        var name = Api.UniqueName("callback-early");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: tell
                type: http
                with: { method: POST, url: "{{{target.Url("capture")}}}", body: { replyTo: "{{ steps.wait.callbackUrl }}" } }
              - id: hold
                type: approval
                message: "Go on?"
              - id: wait
                type: callback
                timeout: 5m
            """);
        var runId = await Client.StartRunAsync(name);
        var sent = await Eventually.UntilAsync(
            () => Task.FromResult(target.Bodies.ToArray()), bodies => bodies.Length > 0, TimeSpan.FromSeconds(30), "the callback URL to be sent");
        using var outsider = flowkit.CreateClient(apiKey: null);

        var (status, _) = await outsider.PostJsonAsync(new Uri(sent[0].GetProperty("replyTo").GetString()!).PathAndQuery, new { early = true });
        await Client.WaitForStepAsync(runId, "hold", "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/hold", new { decision = "approve" })).Status.Should().Be(HttpStatusCode.OK);

        status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "wait").GetProperty("output").GetProperty("early").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Callback_UnknownTokenOrMalformedBody_AnswersProblemDetails()
    {
        using var outsider = flowkit.CreateClient(apiKey: null);

        var unknown = await outsider.PostJsonAsync("/callbacks/" + new string('A', 43), new { answer = 1 });
        using var malformed = await outsider.PostAsync("/callbacks/" + new string('B', 43),
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        unknown.Status.Should().Be(HttpStatusCode.NotFound);
        unknown.Body.GetProperty("detail").GetString().Should().Be("There is no callback at this address.");
        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        malformed.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Callback_BodyOverTheLimit_Answers413()
    {
        using var outsider = flowkit.CreateClient(apiKey: null);

        var (status, body) = await outsider.PostJsonAsync("/callbacks/" + new string('C', 43), new { blob = new string('x', 1024 * 1024 + 10) });

        status.Should().Be(HttpStatusCode.RequestEntityTooLarge, body.ToString());
    }

    [Fact]
    public async Task Callback_UrlOfAStepThatIsNoCallback_IsRejectedAtSave()
    {
        var answer = await Client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{Api.UniqueName("callback-bad")}}}
            steps:
              - id: first
                type: transform
                with: { a: 1 }
              - id: second
                type: transform
                with: { url: "{{ steps.first.callbackUrl }}", missing: "{{ steps.nope.callbackUrl }}" }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        var errors = answer.Body.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("path").GetString(), e.GetProperty("message").GetString())).ToArray();
        errors.Should().Contain(e => e.Item1 == "$.steps[1].with.url" && e.Item2!.Contains("only callback steps have a callbackUrl"));
        errors.Should().Contain(e => e.Item1 == "$.steps[1].with.missing" && e.Item2!.Contains("no step with that id"));
    }
}
