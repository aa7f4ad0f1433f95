using Flowkit.Definitions;
using Flowkit.Persistence;
using Flowkit.Persistence.Sagas;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>The compiled plan cache stays within its size (issue #10: growth has a bound).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class PlanCacheTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    [Fact]
    public async Task PlanCache_MoreVersionsThanItsSize_HoldsAtMostItsSizeAndStillAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Api.UniqueName("plans");
        await flowkit.Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ v: 1 }} }}\n");
        for (var v = 2; v <= 4; v++)
        {
            using var content = new StringContent($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ v: {v} }} }}\n", System.Text.Encoding.UTF8, "application/yaml");
            using var response = await flowkit.Client.PutAsync($"/api/v1/workflows/{name}", content, ct);
            response.EnsureSuccessStatusCode();
        }

        await using var scope = flowkit.Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var workflowId = await db.Workflows.Where(w => w.Name == name).Select(w => w.Id).SingleAsync(ct);
        using var cache = new PlanCache(scope.ServiceProvider.GetRequiredService<DefinitionCompiler>(), Options.Create(new EngineOptions { PlanCacheSize = 2 }));

        for (var v = 1; v <= 4; v++)
        {
            var plan = await cache.GetAsync(db, workflowId, v, ct);
            plan.Steps.Should().ContainSingle();
            cache.Count.Should().BeLessThanOrEqualTo(2);
        }
    }
}
