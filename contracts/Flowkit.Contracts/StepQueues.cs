namespace Flowkit.Contracts;

/// <summary>
/// The RabbitMQ queues that workers consume, one per family of step types, so the management UI shows the
/// backlog per kind of work (issue 6).
/// </summary>
public static class StepQueues
{
    /// <summary>Outbound HTTP calls (http and connector steps): slow, I/O bound.</summary>
    public const string Http = "flowkit-steps-http";

    /// <summary>Slack-compatible notifications.</summary>
    public const string Notify = "flowkit-steps-notify";

    /// <summary>Sandboxed JavaScript: CPU bound.</summary>
    public const string Script = "flowkit-steps-script";

    /// <summary>Quick in-memory steps: transform and condition.</summary>
    public const string Core = "flowkit-steps-core";

    /// <summary>Every worker queue.</summary>
    public static IReadOnlyList<string> All { get; } = [Core, Http, Notify, Script];

    /// <summary>The queue a step type is sent to.</summary>
    public static string For(string stepType) => stepType switch
    {
        "http" or "connector" => Http,
        "notify" => Notify,
        "script" => Script,
        _ => Core,
    };
}
