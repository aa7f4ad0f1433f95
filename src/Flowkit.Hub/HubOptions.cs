using System.ComponentModel.DataAnnotations;

namespace Flowkit.Hub;

/// <summary>Integration hub settings (<c>Flowkit:Hub</c>): delivery attempts, backoff, time limits, concurrency.</summary>
public sealed class HubOptions
{
    public const string Section = "Flowkit:Hub";

    /// <summary>Attempts per delivery before it is dead-lettered (the first try included).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the second attempt; each later wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "7.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time limit of one attempt (an HTTP call, an SMTP exchange): a destination that hangs holds a slot no longer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Delivery attempts this process makes at once. Attempts wait on the network, so this is higher than a CPU count.</summary>
    [Range(1, 1024)]
    public int ConcurrencyLimit { get; set; } = 32;

    /// <summary>Events (timeline batches) this process matches against subscriptions at once.</summary>
    [Range(1, 1024)]
    public int EventConcurrencyLimit { get; set; } = 8;

    /// <summary>SMTP server of e-mail destinations.</summary>
    public SmtpOptions Smtp { get; set; } = new();
}
