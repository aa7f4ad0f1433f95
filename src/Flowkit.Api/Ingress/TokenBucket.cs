namespace Flowkit.Api.Ingress;

/// <summary>A rate: <see cref="PerMillisecond"/> tokens refill per millisecond, up to <see cref="Burst"/>.</summary>
internal readonly record struct Rate(double PerMillisecond, int Burst)
{
    public static Rate Of(int count, TimeSpan per, int? burst = null) => new(count / per.TotalMilliseconds, burst ?? count);
}

/// <summary>What the limiter decided for one request.</summary>
internal enum AdmissionKind
{
    /// <summary>Within the limits: start now.</summary>
    Admitted,

    /// <summary>Over the hook's limit with <c>overflow: queue</c>: accept, start after <see cref="Admission.Milliseconds"/>.</summary>
    Queued,

    /// <summary>Over a limit: answer 429; a retry may succeed after <see cref="Admission.Milliseconds"/>.</summary>
    Limited,
}

/// <param name="Kind">Admitted, queued or limited.</param>
/// <param name="Milliseconds">The queue delay, or how long until a retry may succeed.</param>
/// <param name="ByWorkspace">Limited by the workspace's limit rather than the hook's.</param>
internal readonly record struct Admission(AdmissionKind Kind, long Milliseconds, bool ByWorkspace = false)
{
    public static readonly Admission Admitted = new(AdmissionKind.Admitted, 0);
}

/// <summary>The state of one bucket: its tokens at time <see cref="At"/> (Unix milliseconds).</summary>
internal sealed class Bucket
{
    public double Tokens { get; set; }

    public long At { get; set; }

    public bool Started { get; set; }
}

/// <summary>
/// The token-bucket arithmetic of ingress, shared by the in-process limiter and (line for line) the Redis script in
/// <see cref="RedisIngress"/>: a workspace bucket that every request needs a token from, and an optional hook bucket.
/// Over the hook's limit with <c>overflow: queue</c> the request takes a token that has not refilled yet (the bucket
/// goes below zero) and learns when it will have refilled: that is when its run starts. Runs therefore start at the
/// hook's rate, in arrival order, and the debt is capped by the longest allowed queue delay. Nothing is changed
/// unless the request is admitted or queued.
/// </summary>
internal static class TokenBucket
{
    public static double Level(Bucket bucket, Rate rate, long now)
    {
        if (!bucket.Started)
        {
            return rate.Burst;
        }

        return now > bucket.At ? Math.Min(rate.Burst, bucket.Tokens + ((now - bucket.At) * rate.PerMillisecond)) : bucket.Tokens;
    }

    public static Admission Take(Bucket workspace, Rate workspaceRate, Bucket? hook, Rate? hookRate, bool queue, long maxDelayMs, long now)
    {
        var ws = Level(workspace, workspaceRate, now);
        if (ws < 1)
        {
            return new Admission(AdmissionKind.Limited, Ceiling((1 - ws) / workspaceRate.PerMillisecond), ByWorkspace: true);
        }

        long delay = 0;
        if (hook is not null && hookRate is { } rate)
        {
            var tokens = Level(hook, rate, now);
            if (tokens < 1)
            {
                var wait = (1 - tokens) / rate.PerMillisecond;
                if (!queue)
                {
                    return new Admission(AdmissionKind.Limited, Ceiling(wait));
                }

                if (wait > maxDelayMs)
                {
                    return new Admission(AdmissionKind.Limited, Ceiling(wait - maxDelayMs));
                }

                delay = Ceiling(wait);
            }

            Save(hook, tokens - 1, now);
        }

        Save(workspace, ws - 1, now);
        return delay > 0 ? new Admission(AdmissionKind.Queued, delay) : Admission.Admitted;
    }

    private static void Save(Bucket bucket, double tokens, long now)
    {
        bucket.Tokens = tokens;
        bucket.At = now;
        bucket.Started = true;
    }

    private static long Ceiling(double milliseconds) => (long)Math.Ceiling(milliseconds);
}

/// <summary>
/// The limiter used while Redis is unavailable: the same buckets, in this process only (so with N API replicas a
/// workspace may get up to N times its limit during an outage; docs/ingress.md). One lock: it only runs degraded.
/// </summary>
internal sealed class LocalRateLimiter(TimeProvider time)
{
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Admission Take(string workspaceKey, Rate workspaceRate, string? hookKey, Rate? hookRate, bool queue, TimeSpan maxDelay)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (_buckets.Count > 100_000)
            {
                // Bounded memory: forgetting buckets only forgives some debt.
                _buckets.Clear();
            }

            var workspace = Get(workspaceKey);
            var hook = hookKey is null || hookRate is null ? null : Get(hookKey);
            return TokenBucket.Take(workspace, workspaceRate, hook, hookRate, queue, (long)maxDelay.TotalMilliseconds, now);
        }
    }

    private Bucket Get(string key)
    {
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket();
            _buckets[key] = bucket;
        }

        return bucket;
    }
}
