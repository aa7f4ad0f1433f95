using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Hub;

/// <summary>Subscription calls as a user makes them.</summary>
internal static class HubApi
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PutSubscriptionAsync(this HttpClient client, string name, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await client.PutAsync($"/api/v1/subscriptions/{name}", content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement[]> GetDeliveriesAsync(this HttpClient client, string subscription)
    {
        using var response = await client.GetAsync($"/api/v1/subscriptions/{subscription}/deliveries?limit=500", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Waits until <paramref name="done"/> holds for the subscription's delivery log.</summary>
    public static Task<JsonElement[]> WaitForDeliveriesAsync(this HttpClient client, string subscription, Func<JsonElement[], bool> done, string what) =>
        Eventually.UntilAsync(() => client.GetDeliveriesAsync(subscription), done, TimeSpan.FromSeconds(60), what);

    public static async Task PutSecretAsync(this HttpClient client, string name, string value)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/secrets/{name}", new { value }, TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    public static string Status(this JsonElement delivery) => delivery.GetProperty("status").GetString()!;

    public static string Kind(this JsonElement delivery) => delivery.GetProperty("kind").GetString()!;
}
