namespace Flowkit.Definitions.Connectors;

/// <summary>The authentication kinds a connector can use (<c>auth.type</c>); every credential comes from a secret.</summary>
public static class AuthTypes
{
    /// <summary>A header of the connector's choosing: <c>{name, value}</c>.</summary>
    public const string Header = "header";

    /// <summary><c>Authorization: Bearer {token}</c>.</summary>
    public const string Bearer = "bearer";

    /// <summary><c>Authorization: Basic base64(username:password)</c>.</summary>
    public const string Basic = "basic";

    /// <summary>A query-string key: <c>{name, value}</c>.</summary>
    public const string Query = "query";

    /// <summary>OAuth 2.0 client credentials: a token from <c>tokenUrl</c>, cached until it expires, sent as a bearer token.</summary>
    public const string OAuth2 = "oauth2";
}
