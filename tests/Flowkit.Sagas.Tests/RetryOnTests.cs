using Flowkit.Contracts;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests;

/// <summary><c>retry.on</c> of http steps (issue #12): which failures may be retried.</summary>
public sealed class RetryOnTests
{
    private static readonly RetryPolicy Three = new(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false);

    [Theory]
    [InlineData(new[] { "5xx" }, "http_status", 503, true)]
    [InlineData(new[] { "5xx" }, "http_status", 429, false)]
    [InlineData(new[] { "429" }, "http_status", 429, true)]
    [InlineData(new[] { "429" }, "http_status", 503, false)]
    [InlineData(new[] { "4xx" }, "http_status", 409, true)]
    [InlineData(new[] { "409" }, "http_status", 409, true)]
    [InlineData(new[] { "timeout" }, "timeout", null, true)]
    [InlineData(new[] { "5xx" }, "timeout", null, false)]
    [InlineData(new[] { "network" }, "connection", null, true)]
    [InlineData(new[] { "5xx", "4xx", "timeout", "network" }, "ssrf_blocked", null, false)]
    [InlineData(new[] { "5xx", "4xx", "timeout", "network" }, "expression", null, false)]
    public void Allows_OnList_RetriesOnlyTheFailuresItNames(string[] on, string code, int? status, bool retried)
    {
        var error = new StepError("failed", Retryable: !retried, code, status);

        RetryOn.Allows(Three with { On = on }, error).Should().Be(retried);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Allows_NoOnList_LeavesItToTheStep(bool retryable)
    {
        RetryOn.Allows(Three, new StepError("failed", retryable, "http_status", 500)).Should().Be(retryable);
    }

    [Theory]
    [InlineData("5xx", true)]
    [InlineData("4xx", true)]
    [InlineData("429", true)]
    [InlineData("599", true)]
    [InlineData("399", false)]
    [InlineData("600", false)]
    [InlineData("3xx", false)]
    [InlineData("Timeout", false)]
    public void IsClass_Text_KnowsTheClassesAndStatuses(string text, bool known)
    {
        RetryOn.IsClass(text).Should().Be(known);
    }
}
