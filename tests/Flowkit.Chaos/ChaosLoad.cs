using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Flowkit.Chaos;

/// <summary>
/// A steady load, as clients would send it, through the API process: linear runs, runs with a delay, runs whose
/// step fails once and succeeds on its retry, runs waiting for an approval (which the load decides: every other one
/// approved, the rest rejected), runs of a workflow limited to two at a time, and webhook deliveries with an
/// <c>Idempotency-Key</c> (some delivered twice). It remembers every request Flowkit accepted (2xx) and the outcome
/// that run would have without any fault. A webhook delivery that was refused or got no answer is sent again with
/// the same key, as a client does; a refused run start is just counted (it was not accepted).
/// </summary>
public sealed class ChaosLoad : IAsyncDisposable
{
    private static readonly string[] Kinds = ["linear", "delay", "retry", "approval", "limited", "hook"];
    private readonly HttpClient _client;
    private readonly ChaosTarget _target;
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopDeciding = new();
    private readonly ConcurrentQueue<string> _hooksToRetry = new();
    private Task _starting = Task.CompletedTask;
    private Task _deciding = Task.CompletedTask;
    private int _next;
    private int _refused;

    public ChaosLoad(HttpClient client, ChaosTarget target)
    {
        _client = client;
        _target = target;
    }

    /// <summary>Every run Flowkit accepted, with the outcome it should reach.</summary>
    public ConcurrentDictionary<Guid, AcceptedRun> Accepted { get; } = new();

    /// <summary>Every run id answered for each webhook key (one id per key, however often it was delivered).</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<Guid, byte>> HookAnswers { get; } = new();

    /// <summary>Requests refused (not 2xx) or unanswered; they were retried, so they are no loss.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>The target the load's steps call.</summary>
    public ChaosTarget Target => _target;

    public string Workflow(string kind) => $"chaos-{kind}-{_suffix}";

    public string HookKey => $"chaos-{_suffix}";

    /// <summary>Creates the workflows and starts sending; one request every <paramref name="interval"/>.</summary>
    public async Task StartAsync(TimeSpan interval)
    {
        foreach (var kind in Kinds)
        {
            using var content = new StringContent(Definition(kind), Encoding.UTF8, "application/yaml");
            using var response = await _client.PostAsync(new Uri("/api/v1/workflows", UriKind.Relative), content);
            response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        _starting = Task.Run(() => SendLoopAsync(interval, _stop.Token));
        _deciding = Task.Run(() => DecideLoopAsync(_stopDeciding.Token));
    }

    /// <summary>Waits until <paramref name="count"/> more runs were accepted (the load's own clock: no sleeping).</summary>
    public Task<int> AcceptedMoreAsync(int count, TimeSpan deadline)
    {
        var from = Accepted.Count;
        return Flowkit.Testing.Eventually.UntilAsync(() => Task.FromResult(Accepted.Count), n => n >= from + count, deadline, $"{count} more runs to be accepted");
    }

    /// <summary>Stops starting new runs; webhook deliveries still unanswered are sent until accepted (bounded).</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        await _stop.CancelAsync();
#pragma warning disable VSTHRD003 // The loop is this instance's own task (Task.Run above); no synchronization context here.
        await _starting;
#pragma warning restore VSTHRD003
        await Flowkit.Testing.Eventually.UntilAsync(
            async () =>
            {
                if (_hooksToRetry.TryDequeue(out var key))
                {
                    await DeliverAsync(key);
                }

                return _hooksToRetry.Count;
            },
            n => n == 0,
            deadline,
            "every refused webhook delivery to be accepted on retry");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _stopDeciding.CancelAsync();
#pragma warning disable VSTHRD003 // Both loops are this instance's own tasks; no synchronization context here.
        await Task.WhenAll(_starting, _deciding);
#pragma warning restore VSTHRD003
        _stop.Dispose();
        _stopDeciding.Dispose();
    }

    private async Task SendLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var n = Interlocked.Increment(ref _next);
                var kind = Kinds[n % Kinds.Length];
                if (kind == "hook")
                {
                    // A client retries a delivery that got no answer with the same key; every fifth is a plain duplicate.
                    var key = _hooksToRetry.TryDequeue(out var again) ? again
                        : n % 5 == 0 && !HookAnswers.IsEmpty ? HookAnswers.Keys.ElementAt(n % HookAnswers.Count)
                        : $"key-{n}";
                    await DeliverAsync(key);
                }
                else
                {
                    await StartRunAsync(kind, n);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StartRunAsync(string kind, int n)
    {
        // Approval runs alternate: the even ones will be approved (the run succeeds), the odd ones rejected (it fails).
        var approve = kind != "approval" || n % 2 == 0;
        try
        {
            using var response = await _client.PostAsJsonAsync(new Uri($"/api/v1/workflows/{Workflow(kind)}/runs", UriKind.Relative), new { input = new { n } });
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                var runId = body.GetProperty("runId").GetGuid();
                Accepted[runId] = new AcceptedRun(runId, kind, approve ? "succeeded" : "failed", approve);
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        Interlocked.Increment(ref _refused);
    }

    private async Task DeliverAsync(string key)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/hooks/default/{HookKey}", UriKind.Relative))
            {
                Content = new StringContent(JsonSerializer.Serialize(new { key }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await _client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                var runId = body.GetProperty("runId").GetGuid();
                HookAnswers.GetOrAdd(key, _ => new ConcurrentDictionary<Guid, byte>())[runId] = 0;
                Accepted.TryAdd(runId, new AcceptedRun(runId, "hook", "succeeded", true, key));
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        Interlocked.Increment(ref _refused);
        _hooksToRetry.Enqueue(key);
    }

    /// <summary>Decides every waiting approval, as a person would, until the load is disposed.</summary>
    private async Task DecideLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var runId in await WaitingApprovalsAsync())
                {
                    var approve = !Accepted.TryGetValue(runId, out var run) || run.Approve;
                    try
                    {
                        // 409 means it was decided already (an answer lost in an outage): nothing to do.
                        using var _ = await _client.PostAsJsonAsync(
                            new Uri($"/api/v1/runs/{runId}/approvals/ask", UriKind.Relative),
                            new { decision = approve ? "approve" : "reject", comment = "chaos" },
                            cancellationToken);
                    }
                    catch (HttpRequestException)
                    {
                    }
                    catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<List<Guid>> WaitingApprovalsAsync()
    {
        try
        {
            using var response = await _client.GetAsync(new Uri($"/api/v1/runs?workflow={Workflow("approval")}&status=waiting&limit=500", UriKind.Relative));
            if (!response.IsSuccessStatusCode)
            {
                return [];
            }

            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            return [.. page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid())];
        }
        catch (HttpRequestException)
        {
            return [];
        }
        catch (TaskCanceledException)
        {
            return [];
        }
    }

    private string Definition(string kind)
    {
        var slow = new Uri(_target.Address, "slow");
        var ok = new Uri(_target.Address, "ok");
        var flaky = new Uri(_target.Address, "flaky");
        var name = Workflow(kind);
        return kind switch
        {
            "linear" => $$$"""
                name: {{{name}}}
                steps:
                  - { id: prepare, type: transform, with: { n: "{{ input.n }}" } }
                  - { id: call, type: http, with: { method: POST, url: "{{{slow}}}", body: { n: "{{ input.n }}" } }, timeout: 30s }
                  - { id: finish, type: transform, with: { done: true } }
                """,
            "delay" => $$$"""
                name: {{{name}}}
                steps:
                  - { id: prepare, type: transform, with: { n: "{{ input.n }}" } }
                  - { id: wait, type: delay, for: 2s }
                  - { id: call, type: http, with: { method: POST, url: "{{{ok}}}" }, timeout: 30s }
                """,
            "retry" => $$$"""
                name: {{{name}}}
                steps:
                  - id: call
                    type: http
                    with: { method: POST, url: "{{{flaky}}}" }
                    retry: { attempts: 3, backoff: fixed, delay: 1s }
                    timeout: 30s
                  - { id: finish, type: transform, with: { done: true } }
                """,
            "approval" => $$$"""
                name: {{{name}}}
                steps:
                  - { id: ask, type: approval, message: "Go on?", timeout: 1h }
                  - { id: call, type: http, with: { method: POST, url: "{{{ok}}}" }, timeout: 30s }
                """,
            "limited" => $$$"""
                name: {{{name}}}
                concurrency: { limit: 2 }
                steps:
                  - { id: call, type: http, with: { method: POST, url: "{{{slow}}}" }, timeout: 30s }
                """,
            "hook" => $$$"""
                name: {{{name}}}
                triggers:
                  - webhook: { key: {{{HookKey}}} }
                steps:
                  - { id: call, type: http, with: { method: POST, url: "{{{ok}}}", body: { key: "{{ input.body.key }}" } }, timeout: 30s }
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind"),
        };
    }
}
