using System.Text.Json;

namespace Flowkit.Contracts;

/// <summary>
/// A call arrived at a callback step's URL, already claimed by the API (one call per callback): the step succeeds
/// with <see cref="Body"/> as its output. Ignored unless the step is waiting for it (a call that arrives before the
/// step starts is kept with the callback, and the step succeeds with it as soon as it starts).
/// </summary>
public sealed record CallbackReceived : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    /// <summary>The JSON body that was posted.</summary>
    public required JsonElement Body { get; init; }

    public int Attempt { get; init; } = 1;

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: no call arrived at a callback step's URL within its timeout; the step fails.</summary>
public sealed record CallbackExpired : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}
