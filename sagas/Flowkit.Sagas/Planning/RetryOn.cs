using System.Globalization;
using Flowkit.Contracts;

namespace Flowkit.Sagas.Planning;

/// <summary>
/// <c>retry.on</c> of http steps (issue #12): the failures a workflow says are worth another attempt. A class is
/// <c>5xx</c> or <c>4xx</c> (any status of that hundred), one status (<c>429</c>, <c>503</c>), <c>timeout</c> (the
/// attempt or the request took too long) or <c>network</c> (the connection failed or broke). Other failures (a
/// template that does not evaluate, a blocked address, a bad TLS certificate) are never retried.
/// </summary>
public static class RetryOn
{
    public const string ServerErrors = "5xx";
    public const string ClientErrors = "4xx";
    public const string Timeout = "timeout";
    public const string Network = "network";

    /// <summary>The classes an http step retries when <c>retry.on</c> is not written.</summary>
    public static IReadOnlyList<string> Default { get; } = [ServerErrors, "429", Timeout, Network];

    /// <summary>Whether <paramref name="text"/> names a class (a status must be 400 to 599).</summary>
    public static bool IsClass(string text) =>
        text is ServerErrors or ClientErrors or Timeout or Network
        || (text.Length == 3 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 400 and <= 599);

    /// <summary>Whether a failed attempt may be retried under <paramref name="policy"/>: its <c>on</c> list, else the step's own judgement.</summary>
    public static bool Allows(RetryPolicy policy, StepError error)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(error);
        if (policy.On is not { } on)
        {
            return error.Retryable;
        }

        return error.Code switch
        {
            "http_status" when error.Status is { } status =>
                on.Contains(status.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal)
                || (status is >= 500 and <= 599 && on.Contains(ServerErrors, StringComparer.Ordinal))
                || (status is >= 400 and <= 499 && on.Contains(ClientErrors, StringComparer.Ordinal)),
            "timeout" => on.Contains(Timeout, StringComparer.Ordinal),
            "connection" => on.Contains(Network, StringComparer.Ordinal),
            _ => false,
        };
    }
}
