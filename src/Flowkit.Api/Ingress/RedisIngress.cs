using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Flowkit.Api.Ingress;

/// <summary>What the Redis fast path said about a delivery.</summary>
internal enum FastPathKind
{
    /// <summary>An earlier delivery with this key started <see cref="FastPathResult.RunId"/>.</summary>
    Duplicate,

    /// <summary>Another delivery claimed the key and has not stored its run (yet, or it crashed): ask PostgreSQL.</summary>
    Claimed,

    /// <summary>The key was free and is now claimed by this request; see <see cref="FastPathResult.Admission"/>.</summary>
    Fresh,

    /// <summary>Over a limit; nothing was claimed.</summary>
    Limited,
}

internal readonly record struct FastPathResult(FastPathKind Kind, Guid RunId, Admission Admission);

/// <summary>
/// The Redis fast path of webhook ingress: one script per delivery checks the delivery key, takes rate-limit tokens
/// (workspace and hook buckets) and claims the key, atomically, in one round trip. Redis is only ever a cache of what
/// PostgreSQL decided: a key holds <c>pending</c> from the claim until the run has committed, then the run id, so a
/// key without a run id (a crash between claim and commit) sends the retry to PostgreSQL instead of answering
/// "duplicate". When Redis is unreachable, calls fail fast (short timeouts, then skipped for a moment) and the caller
/// takes the PostgreSQL path; the multiplexer reconnects by itself and the first success ends the degraded mode.
/// </summary>
internal sealed class RedisIngress : IHostedService, IAsyncDisposable
{
    public const string Pending = "pending";

    // KEYS[1] workspace bucket, KEYS[2] hook bucket, KEYS[3] delivery key.
    // ARGV[1] workspace tokens per ms, ARGV[2] workspace burst, ARGV[3] hook tokens per ms (0: no hook limit),
    // ARGV[4] hook burst, ARGV[5] '1' to queue over the hook limit, ARGV[6] longest queue delay (ms), ARGV[7] key TTL (ms).
    // Returns {0, value} seen before, {1, 0} admitted, {2, delay ms} queued, {3, retry-after ms, 'workspace'|'hook'} limited.
    // The bucket arithmetic is TokenBucket.Take's, line for line; Redis' own clock (TIME) is the one clock of all replicas.
    internal const string ClaimScript = """
        local seen = redis.call('GET', KEYS[3])
        if seen then return {0, seen} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function level(key, rate, burst)
          local s = redis.call('HMGET', key, 't', 'at')
          local tokens, at = tonumber(s[1]), tonumber(s[2])
          if not tokens then return burst end
          if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
          return tokens
        end
        local function save(key, tokens, rate, burst)
          redis.call('HSET', key, 't', tostring(tokens), 'at', now)
          redis.call('PEXPIRE', key, math.ceil((burst - tokens) / rate) + 1000)
        end
        local wsRate, wsBurst = tonumber(ARGV[1]), tonumber(ARGV[2])
        local ws = level(KEYS[1], wsRate, wsBurst)
        if ws < 1 then return {3, math.ceil((1 - ws) / wsRate), 'workspace'} end
        local delay = 0
        local hookRate = tonumber(ARGV[3])
        if hookRate > 0 then
          local hookBurst = tonumber(ARGV[4])
          local hook = level(KEYS[2], hookRate, hookBurst)
          if hook < 1 then
            local wait = (1 - hook) / hookRate
            if ARGV[5] ~= '1' then return {3, math.ceil(wait), 'hook'} end
            local maxDelay = tonumber(ARGV[6])
            if wait > maxDelay then return {3, math.ceil(wait - maxDelay), 'hook'} end
            delay = math.ceil(wait)
          end
          save(KEYS[2], hook - 1, hookRate, hookBurst)
        end
        save(KEYS[1], ws - 1, wsRate, wsBurst)
        redis.call('SET', KEYS[3], 'pending', 'PX', ARGV[7])
        if delay > 0 then return {2, delay} end
        return {1, 0}
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == 'pending' then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IngressOptions _options;
    private readonly IngressMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisIngress> _logger;
    private readonly string? _connectionString;
    private ConnectionMultiplexer? _connection;
    private Task? _connecting;
    private long _skipUntil;
    private int _degraded;

    public RedisIngress(IConfiguration configuration, IOptions<IngressOptions> options, IngressMetrics metrics, TimeProvider time, ILogger<RedisIngress> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _connectionString = configuration.GetConnectionString("Redis") is { Length: > 0 } redis ? redis : null;
        Prefix = _options.RedisKeyPrefix ?? DefaultPrefix(configuration.GetConnectionString("Postgres"));
    }

    /// <summary>The prefix of every key ingress writes.</summary>
    public string Prefix { get; }

    public bool IsConfigured => _connectionString is not null;

    /// <summary>True while ingress serves without Redis.</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_connectionString is null)
        {
            MarkDegraded("ConnectionStrings:Redis is not set");
            return Task.CompletedTask;
        }

        // Not awaited: with AbortOnConnectFail off, a Redis that is down must not hold up start-up (ingress starts degraded).
        _connecting = ConnectAsync(_connectionString);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_connecting is not null)
        {
            // Started by StartAsync; waited for so the connection it may still be making is disposed too.
#pragma warning disable VSTHRD003 // The task is this instance's own connect, not another context's work.
            await _connecting.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public string WorkspaceBucketKey(string workspace) => $"{Prefix}:{{{workspace}}}:rl";

    public string HookBucketKey(string workspace, string hook) => $"{Prefix}:{{{workspace}}}:rl:hook:{hook}";

    /// <summary>The key that remembers a delivery (the same workspace hash slot as the buckets, for one script).</summary>
    public string DeliveryKey(string workspace, string scope, string key) => $"{Prefix}:{{{workspace}}}:dd:{scope}:{key}";

    /// <summary>
    /// Runs the claim script; null when Redis is unavailable or failed (the caller takes the PostgreSQL path).
    /// </summary>
    public async Task<FastPathResult?> TryClaimAsync(
        string workspace, string scope, string key, Rate workspaceRate, string? hook, Rate? hookRate, bool queue)
    {
        var db = Database();
        if (db is null)
        {
            return null;
        }

        RedisKey[] keys = [WorkspaceBucketKey(workspace), hook is null ? WorkspaceBucketKey(workspace) + ":none" : HookBucketKey(workspace, hook), DeliveryKey(workspace, scope, key)];
        RedisValue[] values =
        [
            Number(workspaceRate.PerMillisecond),
            workspaceRate.Burst,
            Number(hookRate?.PerMillisecond ?? 0),
            hookRate?.Burst ?? 0,
            queue ? "1" : "0",
            (long)_options.MaxQueueDelay.TotalMilliseconds,
            (long)_options.DedupeRetention.TotalMilliseconds,
        ];
        try
        {
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(ClaimScript, keys, values).ConfigureAwait(false))!;
            MarkHealthy();
            var code = (int)result[0];
            return code switch
            {
                0 => Guid.TryParse((string?)result[1], out var runId)
                    ? new FastPathResult(FastPathKind.Duplicate, runId, Admission.Admitted)
                    : new FastPathResult(FastPathKind.Claimed, Guid.Empty, Admission.Admitted),
                1 => new FastPathResult(FastPathKind.Fresh, Guid.Empty, Admission.Admitted),
                2 => new FastPathResult(FastPathKind.Fresh, Guid.Empty, new Admission(AdmissionKind.Queued, (long)result[1])),
                _ => new FastPathResult(FastPathKind.Limited, Guid.Empty, new Admission(AdmissionKind.Limited, (long)result[1], (string?)result[2] == "workspace")),
            };
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed(ex);
            return null;
        }
    }

    /// <summary>Records the run a delivery key started, after its commit (not awaited: PostgreSQL already decided).</summary>
    public void Remember(string workspace, string scope, string key, Guid runId)
    {
        var db = Database();
        if (db is null)
        {
            return;
        }

        try
        {
            _ = db.StringSetAsync(DeliveryKey(workspace, scope, key), runId.ToString(), _options.DedupeRetention, When.Always, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            Failed(ex);
        }
    }

    /// <summary>Frees a key this request claimed but could not store a run for, so a retry takes the fast path.</summary>
    public void Release(string workspace, string scope, string key)
    {
        var db = Database();
        if (db is null)
        {
            return;
        }

        try
        {
            _ = db.ScriptEvaluateAsync(ReleaseScript, [DeliveryKey(workspace, scope, key)], flags: CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            Failed(ex);
        }
    }

    /// <summary>A PING for readiness; null when Redis is not reachable.</summary>
    public async Task<TimeSpan?> PingAsync()
    {
        if (_connection is not { IsConnected: true } connection)
        {
            return null;
        }

        try
        {
            var latency = await connection.GetDatabase().PingAsync().ConfigureAwait(false);
            MarkHealthy();
            return latency;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed(ex);
            return null;
        }
    }

    /// <summary>Notes that a request was served without Redis (degraded mode).</summary>
    public void ServedWithoutRedis()
    {
        _metrics.Fallback();
        if (!IsDegraded)
        {
            MarkDegraded(_connection is null ? "not connected yet" : "not connected");
        }
    }

    private IDatabase? Database()
    {
        var connection = _connection;
        if (connection is null || !connection.IsConnected || Now() < Interlocked.Read(ref _skipUntil))
        {
            return null;
        }

        return connection.GetDatabase();
    }

    private async Task ConnectAsync(string connectionString)
    {
        var timeout = (int)_options.RedisTimeout.TotalMilliseconds;
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Max(1000, timeout * 4);
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;
        // Retry the connection every second while Redis is away, so ingress is back on its fast path soon after Redis is.
        configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        configuration.ClientName ??= "flowkit-ingress";
        try
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            connection.ConnectionFailed += (_, e) => MarkDegraded($"{e.FailureType} on {e.EndPoint}");
            connection.ConnectionRestored += (_, _) => Interlocked.Exchange(ref _skipUntil, 0);
            _connection = connection;
            if (!connection.IsConnected)
            {
                MarkDegraded("not reachable at start-up");
            }
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            MarkDegraded(ex.Message);
        }
    }

    private void Failed(Exception exception)
    {
        Interlocked.Exchange(ref _skipUntil, Now() + (long)_options.RedisRetryInterval.TotalMilliseconds);
        if (!IsDegraded)
        {
            Log.RedisCallFailed(_logger, exception);
        }

        MarkDegraded(exception.GetType().Name);
    }

    private void MarkDegraded(string reason)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            _metrics.Degraded = true;
            Log.RedisDegraded(_logger, reason);
        }
    }

    private void MarkHealthy()
    {
        if (Interlocked.Exchange(ref _degraded, 0) == 1)
        {
            _metrics.Degraded = false;
            Log.RedisRecovered(_logger);
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string DefaultPrefix(string? postgres)
    {
        var database = "flowkit";
        try
        {
            if (postgres is not null && new NpgsqlConnectionStringBuilder(postgres).Database is { Length: > 0 } name)
            {
                database = name;
            }
        }
        catch (ArgumentException)
        {
            // An unreadable connection string fails elsewhere, with a better message.
        }

        return $"flowkit:{database}";
    }
}
