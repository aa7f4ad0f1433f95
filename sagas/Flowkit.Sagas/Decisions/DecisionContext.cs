namespace Flowkit.Sagas.Decisions;

/// <summary>
/// What a decision takes from outside besides the run: the transition's clock, a jitter sample for retry backoff
/// (a number in [0, 1); tests pass a fixed one) and the engine's default attempt timeout.
/// </summary>
internal sealed record DecisionContext(DateTimeOffset Now, double JitterSample, TimeSpan DefaultStepTimeout);
