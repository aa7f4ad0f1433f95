using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(BackoffKind.Fixed, 1, 2000)]
    [InlineData(BackoffKind.Fixed, 3, 2000)]
    [InlineData(BackoffKind.Exponential, 1, 2000)]
    [InlineData(BackoffKind.Exponential, 2, 4000)]
    [InlineData(BackoffKind.Exponential, 3, 8000)]
    [InlineData(BackoffKind.Exponential, 4, 10000)]
    public void NextDelay_Policy_SpacesAttempts(BackoffKind kind, int failedAttempt, int expectedMs)
    {
        var policy = new RetryPolicy(5, kind, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), false);

        Backoff.NextDelay(policy, failedAttempt, retryable: true, jitterSample: 0).Should().Be(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Fact]
    public void NextDelay_LastAttempt_NoRetry()
    {
        var policy = new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false);

        Backoff.NextDelay(policy, 3, retryable: true, jitterSample: 0).Should().BeNull();
    }

    [Fact]
    public void NextDelay_NotRetryable_NoRetry()
    {
        var policy = new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false);

        Backoff.NextDelay(policy, 1, retryable: false, jitterSample: 0).Should().BeNull();
    }

    [Theory]
    [InlineData(0.0, 500)]
    [InlineData(0.5, 750)]
    [InlineData(0.999, 999)]
    public void NextDelay_Jitter_StaysInUpperHalf(double sample, int expectedMs)
    {
        var policy = new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, true);

        Backoff.NextDelay(policy, 1, retryable: true, jitterSample: sample)!.Value.TotalMilliseconds.Should().BeApproximately(expectedMs, 1);
    }
}
