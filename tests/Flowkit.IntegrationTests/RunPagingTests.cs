using System.Globalization;
using System.Net;
using System.Text;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Reads of one run stay bounded however big the run (issue #19 finding 8, issue #10): the timeline pages by
/// limit and cursor, and a run shows its first 100 steps with a cursor to the rest.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class RunPagingTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    private async Task<Guid> FinishedRunAsync(string prefix, int parallelSteps)
    {
        var name = Api.UniqueName(prefix);
        var yaml = new StringBuilder($"name: {name}\nsteps:\n");
        for (var i = 0; i < parallelSteps; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: s{i:D3}, type: transform, needs: [], with: {{ n: {i} }} }}\n");
        }

        await Client.CreateWorkflowAsync(yaml.ToString());
        var runId = await Client.StartRunAsync(name);
        (await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(90))).Status().Should().Be("succeeded");
        return runId;
    }

    [Fact]
    public async Task Events_PagedByLimitAndCursor_GiveTheWholeTimelineOnceInOrder()
    {
        var runId = await FinishedRunAsync("timeline", 4);
        var whole = await Client.ReadAsync($"/api/v1/runs/{runId}/events?limit=500");
        whole.Status.Should().Be(HttpStatusCode.OK, whole.Text);
        var expected = whole.Body.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToArray();

        var pages = await Client.AllPagesAsync($"/api/v1/runs/{runId}/events", limit: 3);

        expected.Should().HaveCountGreaterThan(10).And.BeInAscendingOrder();
        whole.Body.GetProperty("nextCursor").GetString().Should().BeNull();
        pages.Should().HaveCount((expected.Length + 2) / 3);
        pages.Take(pages.Count - 1).Should().AllSatisfy(p => p.Should().HaveCount(3));
        pages.SelectMany(p => p).Select(e => e.GetProperty("sequence").GetInt64()).Should().Equal(expected);
        (await Client.ReadAsync($"/api/v1/runs/{runId}/events")).Body.GetProperty("items").GetArrayLength().Should().Be(Math.Min(50, expected.Length), "the default page is 50");
    }

    [Theory]
    [InlineData("events?limit=0", "query.limit")]
    [InlineData("events?limit=501", "query.limit")]
    [InlineData("events?cursor=not-ours", "query.cursor")]
    [InlineData("steps?limit=501", "query.limit")]
    [InlineData("steps?cursor=not-ours", "query.cursor")]
    public async Task RunPages_BadLimitOrCursor_Answer422NamingIt(string query, string path)
    {
        var runId = await FinishedRunAsync("bad-page", 1);

        var answer = await Client.ReadAsync($"/api/v1/runs/{runId}/{query}");

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Validation);
        answer.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be(path);
    }

    [Fact]
    public async Task Run_WithMoreStepsThanItInlines_ShowsTheFirstHundredAndPagesTheRest()
    {
        var runId = await FinishedRunAsync("wide", 150);

        var run = await Client.GetRunAsync(runId);
        var cursor = run.GetProperty("stepsNextCursor").GetString();
        var rest = await Client.ReadAsync($"/api/v1/runs/{runId}/steps?limit=500&cursor={Uri.EscapeDataString(cursor!)}");
        var pages = await Client.AllPagesAsync($"/api/v1/runs/{runId}/steps", limit: 40);

        run.GetProperty("stepCount").GetInt32().Should().Be(150);
        run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString())
            .Should().Equal(Enumerable.Range(0, 100).Select(i => $"s{i:D3}"));
        rest.Status.Should().Be(HttpStatusCode.OK, rest.Text);
        rest.Body.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString())
            .Should().Equal(Enumerable.Range(100, 50).Select(i => $"s{i:D3}"));
        rest.Body.GetProperty("nextCursor").GetString().Should().BeNull();
        pages.Select(p => p.Length).Should().Equal(40, 40, 40, 30);
        pages.SelectMany(p => p).Should().AllSatisfy(s =>
        {
            s.Status().Should().Be("succeeded");
            s.GetProperty("attemptHistory").GetArrayLength().Should().Be(1);
        });
    }

    [Fact]
    public async Task Run_WithFewSteps_InlinesThemAllWithoutCursor()
    {
        var runId = await FinishedRunAsync("narrow", 3);

        var run = await Client.GetRunAsync(runId);

        run.GetProperty("stepCount").GetInt32().Should().Be(3);
        run.GetProperty("steps").GetArrayLength().Should().Be(3);
        run.GetProperty("stepsNextCursor").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
    }
}
