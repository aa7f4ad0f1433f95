namespace Flowkit.Api.Ops;

/// <summary>Names of error queues: MassTransit moves a receive endpoint's poison messages to <c>{queue}_error</c>.</summary>
public static class DeadLetters
{
    public const string ErrorSuffix = "_error";

    public static string ErrorQueue(string queue) => queue + ErrorSuffix;

    /// <summary>The queue a name refers to, with or without the error suffix.</summary>
    public static string QueueOf(string name) =>
        name.EndsWith(ErrorSuffix, StringComparison.Ordinal) ? name[..^ErrorSuffix.Length] : name;
}
