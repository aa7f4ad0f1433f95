using System.Diagnostics.Metrics;

namespace Flowkit.Api.Ingress;

/// <summary>
/// Ingress instruments (meter <c>Flowkit.Ingress</c>): requests by outcome, requests served without Redis, and a gauge
/// that is 1 while Redis is unavailable (the degraded mode docs/ingress.md describes).
/// </summary>
internal sealed class IngressMetrics
{
    public const string MeterName = "Flowkit.Ingress";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _overQuota;
    private volatile int _degraded;

    public IngressMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter = meters.Create(MeterName);
        _requests = Meter.CreateCounter<long>("flowkit.ingress.requests", "{request}", "Webhook requests, by outcome.");
        _fallbacks = Meter.CreateCounter<long>("flowkit.ingress.redis.fallbacks", "{request}", "Webhook requests deduplicated and rate-limited without Redis (PostgreSQL and the in-process limiter).");
        _overQuota = Meter.CreateCounter<long>("flowkit.runs.over_quota", "{run}", "Runs not started because the workspace was at its quota of runs in flight, by trigger (api, webhook, cron).");
        Meter.CreateObservableGauge("flowkit.ingress.redis.degraded", () => _degraded, description: "1 while Redis is unavailable and ingress runs on its fallback path, else 0.");
    }

    public Meter Meter { get; }

    public bool Degraded
    {
        get => _degraded == 1;
        set => _degraded = value ? 1 : 0;
    }

    public void Request(string outcome) => _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Fallback() => _fallbacks.Add(1);

    public void OverQuota(string trigger) => _overQuota.Add(1, new KeyValuePair<string, object?>("trigger", trigger));
}
