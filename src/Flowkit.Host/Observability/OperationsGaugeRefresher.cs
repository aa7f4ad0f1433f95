using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Host.Observability;

/// <summary>
/// Refreshes <see cref="OperationsGauges"/> on <see cref="ObservabilityOptions.GaugeRefreshInterval"/>: one SQL
/// round trip for the outbox and overdue steps (processes that use the database), one management API call for the
/// queues of this process's RabbitMQ virtual host (when <c>Flowkit:RabbitMqManagementUrl</c> is set). Each read is
/// bounded by <see cref="ObservabilityOptions.GaugeRefreshTimeout"/>; a failed read keeps the last values.
/// </summary>
internal sealed class OperationsGaugeRefresher(
    OperationsGauges gauges,
    OperationsEndpoints endpoints,
    IHttpClientFactory http,
    IOptions<ObservabilityOptions> options,
    TimeProvider time,
    ILogger<OperationsGaugeRefresher> logger) : BackgroundService
{
    public const string HttpClientName = "flowkit-rabbitmq-management";

    private const string DatabaseSql = """
        SELECT
          (SELECT count(*) FROM outbox WHERE due_at <= @now AND poisoned_at IS NULL)::float8,
          COALESCE((SELECT extract(epoch FROM @now - min(due_at)) FROM outbox WHERE due_at <= @now AND poisoned_at IS NULL), 0)::float8,
          (SELECT count(*) FROM run_steps WHERE status = 'running' AND deadline_at IS NOT NULL AND deadline_at < @overdue)::float8
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (endpoints.Management is null)
        {
            Log.QueueGaugesOff(logger);
        }

        using var timer = new PeriodicTimer(settings.GaugeRefreshInterval, time);
        do
        {
            await Task.WhenAll(RefreshDatabaseAsync(settings, stoppingToken), RefreshQueuesAsync(settings, stoppingToken));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RefreshDatabaseAsync(ObservabilityOptions settings, CancellationToken stoppingToken)
    {
        if (endpoints.Postgres is not { } connectionString)
        {
            return;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(settings.GaugeRefreshTimeout);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand(DatabaseSql, connection);
            var now = time.GetUtcNow();
            command.Parameters.AddWithValue("now", now);
            command.Parameters.AddWithValue("overdue", now - settings.OverdueGrace);
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            if (await reader.ReadAsync(timeout.Token))
            {
                gauges.SetDatabase(new DatabaseSnapshot(reader.GetDouble(0), reader.GetDouble(1), reader.GetDouble(2)));
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Log.DatabaseGaugesFailed(logger, ex);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RefreshQueuesAsync(ObservabilityOptions settings, CancellationToken stoppingToken)
    {
        if (endpoints.Management is not { } management)
        {
            return;
        }

        var url = new Uri(management, $"api/queues/{Uri.EscapeDataString(endpoints.VirtualHost)}?columns=name,messages_ready,messages_unacknowledged,consumers");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(settings.GaugeRefreshTimeout);
            using var client = http.CreateClient(HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", endpoints.ManagementCredentials);
            using var response = await client.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            var queues = new List<QueueSnapshot>();
            foreach (var queue in document.RootElement.EnumerateArray())
            {
                var name = queue.GetProperty("name").GetString() ?? "";
                if (name.StartsWith("flowkit-", StringComparison.Ordinal))
                {
                    queues.Add(new QueueSnapshot(name, Number(queue, "messages_ready"), Number(queue, "messages_unacknowledged"), Number(queue, "consumers")));
                }
            }

            gauges.SetQueues(queues);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Log.QueueGaugesFailed(logger, management, ex);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // A queue the broker has just declared may not have its counters yet.
    private static long Number(JsonElement queue, string name) =>
        queue.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
