using System.Text.Json;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Subscriptions;
using Flowkit.Persistence.Hub;

namespace Flowkit.Hub.Destinations;

/// <summary>One attempt of one delivery, as a sender sees it: the row, its destination, the event and what templates read.</summary>
/// <param name="Delivery">The delivery row (claimed for this attempt).</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="Event">The event as JSON.</param>
/// <param name="Scope">What templates read: <c>event</c> (also <c>input</c>) and the destination's secrets.</param>
/// <param name="Timeout">The attempt's time limit.</param>
internal sealed record DeliveryRequest(DeliveryRow Delivery, Destination Destination, JsonElement Event, ExpressionScope Scope, TimeSpan Timeout)
{
    /// <summary>The secret values this attempt may use: they never follow a redirect to another origin.</summary>
    public IReadOnlyCollection<string> SecretValues => Scope.Secrets?.Values.ToArray() ?? [];
}
