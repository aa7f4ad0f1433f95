using System.Text.Json;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Secrets;
using Flowkit.Definitions.Subscriptions;
using Flowkit.Hub.Destinations;
using Flowkit.Persistence.Hub;
using Flowkit.Persistence.Secrets;
using Microsoft.Extensions.Options;

namespace Flowkit.Hub.Delivery;

/// <summary>
/// Makes one attempt of a claimed delivery: reads its destination, unseals the secrets its templates name, builds
/// what templates read and hands it to the sender of its kind.
/// </summary>
internal sealed class DeliveryAttempts(IEnumerable<IDestinationSender> senders, SecretStore secrets, SecretBox box, IOptions<HubOptions> options)
{
    private readonly Dictionary<string, IDestinationSender> _senders = senders.ToDictionary(s => s.Kind, StringComparer.Ordinal);

    /// <exception cref="DeliveryFailedException">The attempt failed.</exception>
    public async Task<string> RunAsync(DeliveryRow delivery, CancellationToken cancellationToken)
    {
        Destination destination;
        try
        {
            destination = SubscriptionJson.ReadDestination(delivery.Destination);
        }
        catch (JsonException e)
        {
            throw new DeliveryFailedException($"The stored destination cannot be read: {e.Message}", retryable: false, e);
        }

        if (!_senders.TryGetValue(destination.Type, out var sender))
        {
            throw new DeliveryFailedException($"This hub cannot send to '{destination.Type}' destinations.", retryable: false);
        }

        using var document = JsonDocument.Parse(delivery.Event);
        var evt = document.RootElement.Clone();
        var values = await UnsealAsync(delivery.Workspace, SubscriptionSecrets.Of(destination), cancellationToken);
        var scope = new ExpressionScope(
            evt,
            new Dictionary<string, JsonElement>(),
            new RunInfo(delivery.RunId, evt.TryGetProperty("workflow", out var w) ? w.GetString() ?? "" : "", 0, delivery.Attempts),
            values)
        {
            Globals = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["event"] = evt },
        };
        return await sender.SendAsync(new DeliveryRequest(delivery, destination, evt, scope, options.Value.AttemptTimeout), cancellationToken);
    }

    private async Task<Dictionary<string, string>> UnsealAsync(string workspace, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (names.Count == 0)
        {
            return values;
        }

        var sealedValues = await secrets.GetSealedSecretsAsync(workspace, names, cancellationToken);
        foreach (var name in names)
        {
            if (!sealedValues.TryGetValue(name, out var sealedValue))
            {
                throw new DeliveryFailedException($"The destination reads secrets.{name}, which this workspace does not have. Store it (PUT /api/v1/secrets/{name}), then redrive.", retryable: false);
            }

            try
            {
                values[name] = box.Unseal(workspace, name, sealedValue);
            }
            catch (SecretUnsealException e)
            {
                throw new DeliveryFailedException($"secrets.{name} cannot be opened with this host's key ({SecretsOptions.Section}:Key): {e.Message}", retryable: false, e);
            }
        }

        return values;
    }
}
