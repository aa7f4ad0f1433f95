namespace Flowkit.Sagas.Decisions;

/// <summary>
/// What a decision takes from outside besides the run: the transition's clock, a jitter sample for retry backoff
/// (a number in [0, 1); tests pass a fixed one) and the engine's default attempt timeout.
/// </summary>
internal sealed record DecisionContext(DateTimeOffset Now, double JitterSample, TimeSpan DefaultStepTimeout)
{
    /// <summary>The first delivery window of a worker step's attempt (<see cref="EngineOptions.DeliveryWindow"/>).</summary>
    public TimeSpan DeliveryWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How many times one attempt is sent before silence counts as its timeout (<see cref="EngineOptions.MaxDeliveries"/>).</summary>
    public int MaxDeliveries { get; init; } = 6;
}
