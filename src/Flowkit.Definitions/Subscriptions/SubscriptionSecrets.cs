using System.Text.Json;

namespace Flowkit.Definitions.Subscriptions;

/// <summary>The secret names a destination's templates read, so the hub unseals exactly those when it delivers.</summary>
public static class SubscriptionSecrets
{
    public static IReadOnlyList<string> Of(Destination destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var document = JsonSerializer.SerializeToDocument(destination);
        return SecretReferences.Find(document.RootElement);
    }
}
