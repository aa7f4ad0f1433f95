using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// <c>respond: result</c> across processes (issue #18): the delivery is answered by an API-only Flowkit.Host
/// process while the run is executed by another process's engine and worker, so the answer can only come from
/// what the API reads back from PostgreSQL, never from anything in its own memory.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class WebhookResultProcessTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Hook_RespondResultOnApiOnlyProcess_Answers200WithRunOutputFromEngineProcess()
    {
        var name = Api.UniqueName("xresult");
        await flowkit.Client.CreateWorkflowAsync(WebhookResultTests.Shaping(name, "respond: result, respondTimeout: 20s"));
        using var api = await ListeningHost.StartAsync(flowkit, "api");
        using var client = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromMinutes(1) };

        var response = await client.DeliverAsync(name, """{"n": 21}""");

        response.Status.Should().Be(HttpStatusCode.OK, $"{response}{Environment.NewLine}{api.Output}");
        response.Body.GetProperty("status").GetString().Should().Be("succeeded");
        response.Body.GetProperty("duplicate").GetBoolean().Should().BeFalse();
        response.Body.GetProperty("output").GetProperty("doubled").GetInt32().Should().Be(42);

        var again = await client.DeliverAsync(name, """{"n": 5}""");

        again.Status.Should().Be(HttpStatusCode.OK, again.ToString());
        again.Body.GetProperty("output").GetProperty("doubled").GetInt32().Should().Be(10);
        (await flowkit.Client.GetRunAsync(response.RunId)).Status().Should().Be("succeeded");
    }
}
