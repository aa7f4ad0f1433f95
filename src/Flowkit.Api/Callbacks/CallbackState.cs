namespace Flowkit.Api.Callbacks;

/// <summary>What a call to a callback URL finds: its run and step and whether it is still open.</summary>
internal sealed record CallbackState(Guid RunId, string StepId, string RunState, string? StepStatus, bool Received, bool Expired);
