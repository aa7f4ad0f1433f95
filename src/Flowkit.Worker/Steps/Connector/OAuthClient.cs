namespace Flowkit.Worker.Steps.Connector;

/// <summary>An OAuth 2.0 client of a connector (client credentials grant), its values already read from secrets.</summary>
internal sealed record OAuthClient(string TokenUrl, string ClientId, string ClientSecret, string? Scope);
