namespace Flowkit.Api.Ops;

/// <summary>A dead letter: its id and type, and why it was moved (MassTransit's fault headers).</summary>
public sealed record DeadLetter(string? MessageId, string? MessageType, string? ExceptionType, string? Reason, string? FaultedAt);
