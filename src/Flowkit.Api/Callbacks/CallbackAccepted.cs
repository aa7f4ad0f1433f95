namespace Flowkit.Api.Callbacks;

/// <summary>The answer to a call of a callback URL that was taken (its step succeeds with the body).</summary>
public sealed record CallbackAccepted(bool Received);
