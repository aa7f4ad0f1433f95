namespace Flowkit.Api.Auth;

/// <summary>Body of POST /api/v1/keys/{id}/rotate (optional).</summary>
/// <param name="GraceSeconds">How long the old secret keeps working: 0 (default) stops it at once; at most 86400.</param>
public sealed record RotateApiKeyRequest(int? GraceSeconds);
