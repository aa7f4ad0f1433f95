using System.CommandLine;

namespace Flowkit.Cli;

/// <summary>Options every command takes: where the server is, the key, and the output format.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server") { Description = "The server's URL (else FLOWKIT_URL, else the profile file).", Recursive = true };

    public Option<string?> Key { get; } = new("--key") { Description = "The API key (else FLOWKIT_API_KEY, else the profile file).", Recursive = true };

    public Option<string?> Profile { get; } = new("--profile") { Description = "The profile file (JSON {\"url\", \"key\"}); default FLOWKIT_PROFILE or ~/.config/flowkit/profile.json.", Recursive = true };

    public Option<string> Output { get; } = new("--output", "-o") { Description = "text or json (read commands).", DefaultValueFactory = _ => "text", Recursive = true };

    public void AddTo(RootCommand root)
    {
        Output.AcceptOnlyFromAmong("text", "json");
        root.Options.Add(Server);
        root.Options.Add(Key);
        root.Options.Add(Profile);
        root.Options.Add(Output);
    }

    public bool Json(ParseResult parse) => parse.GetValue(Output) == "json";

    public Connection Connect(ParseResult parse) => Connection.Resolve(parse.GetValue(Server), parse.GetValue(Key), parse.GetValue(Profile));
}
