using Flowkit.Engine;
using MassTransit;

namespace Flowkit.Hub;

/// <summary>Transport retry of the hub's endpoints: as the engine's (docs/operations.md, "Outages").</summary>
internal static class HubRetry
{
    public static void Configure(IReceiveEndpointConfigurator endpoint)
    {
        // PostgreSQL down or restarting delays hub messages and never dead-letters them.
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(TransientFaults.IsTransient);
            r.Exponential(int.MaxValue, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        });
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(e => !TransientFaults.IsTransient(e) && TransientFaults.IsDatabase(e));
            r.Intervals(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1));
        });
    }
}
