using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flowkit.Definitions.Subscriptions;

/// <summary>The stored form of subscriptions and destinations: camelCase JSON without null fields.</summary>
public static class SubscriptionJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(Subscription subscription) => JsonSerializer.Serialize(subscription, Options);

    public static string Serialize(Destination destination) => JsonSerializer.Serialize(destination, Options);

    public static Subscription ReadSubscription(string json) =>
        JsonSerializer.Deserialize<Subscription>(json, Options) ?? throw new JsonException("A stored subscription is null.");

    public static Destination ReadDestination(string json) =>
        JsonSerializer.Deserialize<Destination>(json, Options) ?? throw new JsonException("A stored destination is null.");
}
