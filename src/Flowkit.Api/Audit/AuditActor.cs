namespace Flowkit.Api.Audit;

/// <summary>Who made a change: an API key.</summary>
/// <param name="KeyId">The key's id; null for the configured bootstrap key.</param>
/// <param name="Name">The key's name when it acted (<c>bootstrap</c> for the configured key).</param>
public sealed record AuditActor(Guid? KeyId, string Name);
