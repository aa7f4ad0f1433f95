namespace Flowkit.Sagas.Planning;

/// <summary>Domain retry decisions: whether a failed attempt is retried, and after how long.</summary>
public static class Backoff
{
    /// <summary>
    /// The delay before attempt <paramref name="failedAttempt"/> + 1, or null when no attempt is left or the
    /// error is not retryable.
    /// </summary>
    /// <param name="policy">The step's retry policy.</param>
    /// <param name="failedAttempt">The attempt that failed (from 1).</param>
    /// <param name="retryable">Whether the error allows another attempt.</param>
    /// <param name="jitterSample">A number in [0, 1) used for jitter; pass a fixed value in tests.</param>
    public static TimeSpan? NextDelay(RetryPolicy policy, int failedAttempt, bool retryable, double jitterSample)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!retryable || failedAttempt >= policy.Attempts)
        {
            return null;
        }

        var delay = policy.Backoff switch
        {
            BackoffKind.Exponential => TimeSpan.FromTicks((long)Math.Min(
                policy.Delay.Ticks * Math.Pow(2, failedAttempt - 1),
                TimeSpan.MaxValue.Ticks / 2.0)),
            _ => policy.Delay,
        };

        if (policy.MaxDelay is { } max && delay > max)
        {
            delay = max;
        }

        if (policy.Jitter)
        {
            // Full jitter on the upper half: keeps at least half the delay so retries stay spaced.
            delay = TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (jitterSample / 2))));
        }

        return delay;
    }
}
