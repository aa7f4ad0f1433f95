using System.CommandLine;
using System.Text.Json;

namespace Flowkit.Cli;

/// <summary>
/// <c>keys</c> lists the workspace's API keys; <c>keys create NAME --role R</c>, <c>keys rotate ID</c> and
/// <c>keys revoke ID</c> manage them (docs/security.md, issue #16). A new secret is printed once, alone on stdout.
/// </summary>
internal static class KeysCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("keys", "List the workspace's API keys (never their secrets); create, rotate or revoke one.")
        {
            CreateKey(globals), Rotate(globals), Revoke(globals),
        };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var (_, page) = await client.GetAsync("/api/v1/keys?limit=500", cancellationToken);
            if (globals.Json(parse))
            {
                await Console.Out.WriteLineAsync(page.GetProperty("items").GetRawText());
                return ExitCodes.Ok;
            }

            foreach (var key in page.GetProperty("items").EnumerateArray())
            {
                var revoked = key.GetProperty("revokedAt").ValueKind == JsonValueKind.String ? "  revoked" : "";
                await Console.Out.WriteLineAsync(
                    $"{key.GetProperty("id").GetString()}  {key.GetProperty("prefix").GetString()}  {key.GetProperty("role").GetString(),-8} {key.GetProperty("name").GetString()}{revoked}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateKey(GlobalOptions globals)
    {
        var name = new Argument<string>("name") { Description = "A name for the key, unique in the workspace (recorded as who acted)." };
        var role = new Option<string>("--role") { Description = "admin, editor, operator, approver or viewer.", DefaultValueFactory = _ => "admin" };
        var command = new Command("create", "Make a key; its secret is printed once.") { name, role };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var (_, key) = await client.PostJsonAsync("/api/v1/keys", new { name = parse.GetValue(name), role = parse.GetValue(role) }, cancellationToken);
            await PrintSecretAsync(globals.Json(parse), key);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Rotate(GlobalOptions globals)
    {
        var id = new Argument<Guid>("id") { Description = "The key's id (from 'keys')." };
        var grace = new Option<int>("--grace-seconds") { Description = "How long the old secret keeps working (0 to 86400).", DefaultValueFactory = _ => 0 };
        var command = new Command("rotate", "Give a key a new secret, printed once; the old one stops at once or after --grace-seconds.") { id, grace };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var (_, key) = await client.PostJsonAsync($"/api/v1/keys/{parse.GetValue(id)}/rotate", new { graceSeconds = parse.GetValue(grace) }, cancellationToken);
            await PrintSecretAsync(globals.Json(parse), key);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Revoke(GlobalOptions globals)
    {
        var id = new Argument<Guid>("id") { Description = "The key's id (from 'keys')." };
        var command = new Command("revoke", "Revoke a key: it stops working at once.") { id };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            await client.DeleteAsync($"/api/v1/keys/{parse.GetValue(id)}", cancellationToken);
            await Console.Out.WriteLineAsync($"revoked key {parse.GetValue(id)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The secret alone on stdout (so it can be piped into a secret store); what it is on stderr.</summary>
    private static async Task PrintSecretAsync(bool json, JsonElement key)
    {
        if (json)
        {
            await Console.Out.WriteLineAsync(key.GetRawText());
            return;
        }

        await Console.Error.WriteLineAsync($"key {key.GetProperty("id").GetString()} '{key.GetProperty("name").GetString()}' ({key.GetProperty("role").GetString()}); shown this once:");
        await Console.Out.WriteLineAsync(key.GetProperty("key").GetString());
    }
}
