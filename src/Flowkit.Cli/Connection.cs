using System.Text.Json;

namespace Flowkit.Cli;

/// <summary>The server and key a command uses: flags first, then FLOWKIT_URL / FLOWKIT_API_KEY, then the profile file.</summary>
internal sealed record Connection(Uri Server, string Key)
{
    public static Connection Resolve(string? server, string? key, string? profilePath)
    {
        var path = profilePath ?? Variable("FLOWKIT_PROFILE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "flowkit", "profile.json");
        string? profileUrl = null, profileKey = null;
        if (File.Exists(path))
        {
            try
            {
                using var profile = JsonDocument.Parse(File.ReadAllText(path));
                profileUrl = profile.RootElement.TryGetProperty("url", out var u) ? u.GetString() : null;
                profileKey = profile.RootElement.TryGetProperty("key", out var k) ? k.GetString() : null;
            }
            catch (JsonException e)
            {
                throw new CliException($"The profile file {path} is not valid JSON ({e.Message}). Write {{\"url\": \"http://127.0.0.1:8080\", \"key\": \"...\"}}.");
            }
        }
        else if (profilePath is not null)
        {
            throw new CliException($"The profile file {profilePath} does not exist.");
        }

        var url = server ?? Variable("FLOWKIT_URL") ?? profileUrl
            ?? throw new CliException("No server: pass --server, set FLOWKIT_URL, or write a profile file (docs/cli.md).");
        var apiKey = key ?? Variable("FLOWKIT_API_KEY") ?? profileKey
            ?? throw new CliException("No API key: pass --key, set FLOWKIT_API_KEY, or write a profile file (docs/cli.md).");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"The server '{url}' is not an http or https URL.");
        }

        return new Connection(uri, apiKey);
    }

    /// <summary>An environment variable, or null when it is unset or empty (an empty one does not count as set).</summary>
    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
