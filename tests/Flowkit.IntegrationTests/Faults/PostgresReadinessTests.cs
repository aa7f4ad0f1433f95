using System.Net;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Faults;

/// <summary>
/// The <c>postgres</c> readiness check (AspNetCore.HealthChecks.NpgSql, ADR 0013) on the private PostgreSQL of
/// <see cref="FaultFixture"/>: unready with a reason while it is down, ready again once it is back.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class PostgresReadinessTests(FaultFixture flowkit)
{
    [Fact]
    public async Task Ready_PostgresKilledThenRestarted_Answers503WithReasonThen200()
    {
        flowkit.Postgres.Kill();
        try
        {
            var down = await Eventually.UntilAsync(ReadyAsync, r => r.Status == HttpStatusCode.ServiceUnavailable && r.Postgres == "unhealthy", TimeSpan.FromSeconds(30), "readiness to say PostgreSQL is down");
            down.Description.Should().NotBeNullOrEmpty("an operator reads why the check failed");
        }
        finally
        {
            await flowkit.Postgres.RestartAsync();
        }

        await Eventually.UntilAsync(ReadyAsync, r => r.Status == HttpStatusCode.OK && r.Postgres == "healthy", TimeSpan.FromSeconds(60), "readiness to come back with PostgreSQL");
    }

    private async Task<(HttpStatusCode Status, string? Postgres, string? Description)> ReadyAsync()
    {
        using var response = await flowkit.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        var check = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("checks").GetProperty("postgres");
        return (response.StatusCode, check.GetProperty("status").GetString(), check.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
    }
}
