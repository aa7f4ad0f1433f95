using System.CommandLine;
using System.Text.Json;

namespace Flowkit.Cli;

/// <summary>Read commands: <c>runs</c> and <c>events RUN</c>, as text or, with <c>--output json</c>, as the API's JSON.</summary>
internal static class ReadCommands
{
    public static Command Runs(GlobalOptions globals)
    {
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow." };
        var status = new Option<string?>("--status") { Description = "Only runs with this status." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first (1 to 500).", DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "List runs, newest first; pause, resume or rerun one.")
        {
            workflow, status, limit, RunControlCommands.Pause(globals), RunControlCommands.Resume(globals), RunControlCommands.Rerun(globals),
        };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var query = $"limit={parse.GetValue(limit)}"
                + (parse.GetValue(workflow) is { } w ? $"&workflow={Uri.EscapeDataString(w)}" : "")
                + (parse.GetValue(status) is { } s ? $"&status={Uri.EscapeDataString(s)}" : "");
            var (_, page) = await client.GetAsync($"/api/v1/runs?{query}", cancellationToken);
            if (globals.Json(parse))
            {
                await Console.Out.WriteLineAsync(page.GetProperty("items").GetRawText());
                return ExitCodes.Ok;
            }

            foreach (var run in page.GetProperty("items").EnumerateArray())
            {
                await Console.Out.WriteLineAsync(
                    $"{run.GetProperty("id").GetString()}  {run.GetProperty("status").GetString(),-10} {run.GetProperty("workflow").GetString()} v{run.GetProperty("version").GetInt32()}  {run.GetProperty("createdAt").GetDateTimeOffset():u}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Events(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The run's id." };
        var command = new Command("events", "A run's timeline, oldest first.") { run };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var all = new List<JsonElement>();
            string? cursor = null;
            do
            {
                var (_, page) = await client.GetAsync(
                    $"/api/v1/runs/{parse.GetValue(run)}/events?limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", cancellationToken);
                all.AddRange(page.GetProperty("items").EnumerateArray());
                cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
            }
            while (cursor is not null);

            if (globals.Json(parse))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(all));
                return ExitCodes.Ok;
            }

            foreach (var e in all)
            {
                var step = e.GetProperty("stepId").ValueKind == JsonValueKind.String ? $" {e.GetProperty("stepId").GetString()}" : "";
                var attempt = e.GetProperty("attempt").ValueKind == JsonValueKind.Number ? $" (attempt {e.GetProperty("attempt").GetInt32()})" : "";
                await Console.Out.WriteLineAsync($"{e.GetProperty("timestamp").GetDateTimeOffset():HH:mm:ss.fff}  {e.GetProperty("type").GetString()}{step}{attempt}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
