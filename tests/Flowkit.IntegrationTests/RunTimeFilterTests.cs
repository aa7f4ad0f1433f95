using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>The runs list filters by creation time (issue #13: the console's time filter).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class RunTimeFilterTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task ListRuns_SinceAndUntil_ShowOnlyRunsCreatedInTheWindow()
    {
        var name = Api.UniqueName("window");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n");
        var first = await Client.StartRunAsync(name);
        var firstCreated = (await Client.GetRunAsync(first)).GetProperty("createdAt").GetDateTimeOffset();
        var second = await Client.StartRunAsync(name);
        var secondCreated = (await Client.GetRunAsync(second)).GetProperty("createdAt").GetDateTimeOffset();
        secondCreated.Should().BeAfter(firstCreated);

        var after = await Client.ReadAsync($"/api/v1/runs?workflow={name}&since={Uri.EscapeDataString(secondCreated.ToString("O"))}");
        var before = await Client.ReadAsync($"/api/v1/runs?workflow={name}&until={Uri.EscapeDataString(secondCreated.ToString("O"))}");

        after.Status.Should().Be(HttpStatusCode.OK, after.Text);
        Ids(after).Should().Equal(second);
        Ids(before).Should().Equal(first);
    }

    [Fact]
    public async Task ListRuns_UntilBeforeSince_Answers422AtUntil()
    {
        var answer = await Client.ReadAsync("/api/v1/runs?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z");

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Validation);
        answer.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("query.until");
    }

    private static Guid[] Ids(Answer answer) =>
        [.. answer.Body.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid())];
}
