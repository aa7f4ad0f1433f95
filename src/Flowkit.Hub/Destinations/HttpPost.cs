using Flowkit.Hub.Delivery;
using Flowkit.Worker.Steps;
using Flowkit.Worker.Steps.Http;

namespace Flowkit.Hub.Destinations;

/// <summary>Posts a JSON body through the workers' guarded HTTP machinery and turns its answer into a delivery outcome.</summary>
internal sealed class HttpPost(OutboundHttp http)
{
    public async Task<string> SendAsync(
        DeliveryRequest request, string url, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        OutboundResponse response;
        try
        {
            response = await http.SendAsync(
                new OutboundRequest("POST", url, headers, body, "application/json"),
                request.Delivery.EventId.ToString("D"),
                request.Timeout,
                request.SecretValues,
                cancellationToken);
        }
        catch (StepFailedException e)
        {
            throw new DeliveryFailedException(e.Message, e.Retryable, e);
        }

        if (response.IsSuccessStatus)
        {
            return $"HTTP {response.Status}";
        }

        var excerpt = response.Excerpt(200);
        throw new DeliveryFailedException(
            $"The destination answered {response.Status} {response.Reason}{(excerpt.Length > 0 ? $": {excerpt}" : string.Empty)}.",
            response.IsRetryableStatus);
    }
}
