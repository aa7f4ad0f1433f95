namespace Flowkit.Api.Ops;

/// <summary>An error queue: the queue its messages came from, how many, and a sample.</summary>
public sealed record DeadLetterQueue(string Queue, string ErrorQueue, int Messages, IReadOnlyList<DeadLetter> Sample);
