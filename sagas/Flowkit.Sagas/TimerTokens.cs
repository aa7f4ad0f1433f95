namespace Flowkit.Sagas;

/// <summary>The kinds of timers the run saga sets, named in their <see cref="TimerTokens"/>.</summary>
public static class TimerKinds
{
    public const string Retry = "retry";
    public const string Delay = "delay";
    public const string Approval = "approval";
    public const string RunTimeout = "run-timeout";
    public const string Callback = "callback";

    /// <summary>A run queued to start later (a webhook with a not-before time): its StartRun is a timer.</summary>
    public const string Start = "start";
}

/// <summary>Deterministic timer tokens: the same (kind, run, step, attempt) always names the same timer.</summary>
public static class TimerTokens
{
    public static Guid For(string kind, Guid runId, string? stepId = null, int attempt = 0)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{kind}|{runId:N}|{stepId}|{attempt}"), hash);
        return new Guid(hash[..16]);
    }
}
