using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Flowkit.Api.Ops;

/// <summary>
/// The RabbitMQ management API of this process's broker and virtual host (<c>Flowkit:RabbitMqManagementUrl</c>, which
/// services.env sets; login and virtual host from <c>ConnectionStrings:RabbitMq</c>). Readiness reads consumer counts
/// from it and the dead-letter API lists error queues with it. Not configured: both say so instead of guessing.
/// </summary>
public sealed class RabbitMqManagement : IDisposable
{
    private readonly HttpClient? _http;
    private readonly string _vhost = "/";

    public RabbitMqManagement(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var url = configuration["Flowkit:RabbitMqManagementUrl"];
        var amqp = configuration.GetConnectionString("RabbitMq");
        if (string.IsNullOrWhiteSpace(url) || string.IsNullOrWhiteSpace(amqp))
        {
            return;
        }

        var broker = new Uri(amqp);
        var login = Uri.UnescapeDataString(broker.UserInfo) is { Length: > 0 } info ? info : "guest:guest";
        var path = broker.AbsolutePath.TrimStart('/');
        _vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        _http = new HttpClient { BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/"), Timeout = TimeSpan.FromSeconds(3) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(login)));
    }

    public bool IsConfigured => _http is not null;

    /// <summary>The virtual host Flowkit uses on the broker.</summary>
    public string VirtualHost => _vhost;

    /// <summary>Every queue of the virtual host: name, consumers, messages (ready and unacknowledged).</summary>
    public async Task<IReadOnlyList<QueueState>> QueuesAsync(CancellationToken cancellationToken)
    {
        var queues = await Client.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(_vhost)}?columns=name,consumers,messages,messages_ready,messages_unacknowledged", cancellationToken);
        return [.. queues.EnumerateArray().Select(Read)];
    }

    /// <summary>Every queue of the virtual host with its depth, consumers and message rates, by name.</summary>
    public async Task<IReadOnlyList<QueueReport>> QueueReportsAsync(CancellationToken cancellationToken)
    {
        var queues = await Client.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(_vhost)}", cancellationToken);
        return [.. queues.EnumerateArray().Select(q =>
        {
            var state = Read(q);
            return new QueueReport(state.Name, QueueRoles.Of(state.Name), state.Messages, state.Ready, state.Unacknowledged, state.Consumers,
                Rate(q, "publish_details"), Rate(q, "deliver_get_details"));
        }).OrderBy(q => q.Name, StringComparer.Ordinal)];
    }

    /// <summary>One queue, or null when it does not exist.</summary>
    public async Task<QueueState?> QueueAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync($"api/queues/{Uri.EscapeDataString(_vhost)}/{Uri.EscapeDataString(name)}", cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return Read(await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken));
    }

    /// <summary>
    /// Up to <paramref name="count"/> messages from the head of a queue, looked at and put back (the management API's
    /// get with <c>ack_requeue_true</c>; RabbitMQ marks them redelivered).
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> PeekAsync(string queue, int count, CancellationToken cancellationToken)
    {
        using var response = await Client.PostAsJsonAsync(
            $"api/queues/{Uri.EscapeDataString(_vhost)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_true", encoding = "auto", truncate = 4096 },
            cancellationToken);
        response.EnsureSuccessStatusCode();
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).EnumerateArray()];
    }

    public void Dispose() => _http?.Dispose();

    private HttpClient Client => _http ?? throw new InvalidOperationException("Flowkit:RabbitMqManagementUrl is not set.");

    private static QueueState Read(JsonElement q) => new(
        q.GetProperty("name").GetString()!,
        Int(q, "consumers"),
        Int(q, "messages"),
        Int(q, "messages_ready"),
        Int(q, "messages_unacknowledged"));

    /// <summary>A rate from the queue's <c>message_stats</c> (absent while nothing has moved).</summary>
    private static double Rate(JsonElement q, string details) =>
        q.TryGetProperty("message_stats", out var stats) && stats.ValueKind == JsonValueKind.Object
        && stats.TryGetProperty(details, out var d) && d.TryGetProperty("rate", out var rate) && rate.ValueKind == JsonValueKind.Number
            ? rate.GetDouble()
            : 0;

    private static int Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
}
