using System.CommandLine;
using System.Text.Json;

namespace Flowkit.Cli;

/// <summary><c>flowkit run NAME --input JSON [--watch]</c>: start a run; with --watch, follow it to its end and exit with its outcome.</summary>
internal static class RunCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var name = new Argument<string>("workflow") { Description = "The workflow to run." };
        var input = new Option<string?>("--input", "-i") { Description = "The run's input as JSON (default {})." };
        var version = new Option<int?>("--version") { Description = "Run this version instead of the latest." };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the run's steps until it ends; the exit code follows its status." };
        var command = new Command("run", "Start a run of a workflow.") { name, input, version, watch };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            JsonElement inputJson;
            try
            {
                using var document = JsonDocument.Parse(parse.GetValue(input) ?? "{}");
                inputJson = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new CliException($"--input is not valid JSON: {e.Message}");
            }

            using var client = new FlowkitClient(globals.Connect(parse));
            var workflow = parse.GetValue(name)!;
            var (_, started) = await client.PostJsonAsync($"/api/v1/workflows/{Uri.EscapeDataString(workflow)}/runs",
                new { input = inputJson, version = parse.GetValue(version) }, cancellationToken);
            var runId = started.GetProperty("runId").GetString()!;
            if (!parse.GetValue(watch))
            {
                await Console.Out.WriteLineAsync(globals.Json(parse) ? started.GetRawText() : $"started run {runId} of {workflow} version {started.GetProperty("version").GetInt32()}");
                return ExitCodes.Ok;
            }

            await Console.Out.WriteLineAsync($"run {runId} of {workflow} version {started.GetProperty("version").GetInt32()}");
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            while (true)
            {
                var (_, run) = await client.GetAsync($"/api/v1/runs/{runId}", cancellationToken);
                var steps = run.GetProperty("steps").EnumerateArray().ToArray();
                foreach (var step in steps)
                {
                    var id = step.GetProperty("id").GetString()!;
                    var status = step.GetProperty("status").GetString()!;
                    if (!seen.TryGetValue(id, out var before) || before != status)
                    {
                        seen[id] = status;
                        var finished = steps.Count(s => s.GetProperty("status").GetString() is "succeeded" or "failed" or "skipped" or "cancelled");
                        var error = step.GetProperty("error").ValueKind == JsonValueKind.String ? $": {step.GetProperty("error").GetString()}" : "";
                        await Console.Out.WriteLineAsync($"  [{finished}/{run.GetProperty("stepCount").GetInt32()}] {id} {status}{error}");
                    }
                }

                var runStatus = run.GetProperty("status").GetString();
                if (runStatus is "succeeded" or "failed" or "cancelled")
                {
                    var error = run.GetProperty("error").ValueKind == JsonValueKind.String ? $": {run.GetProperty("error").GetString()}" : "";
                    await Console.Out.WriteLineAsync($"run {runStatus}{error}");
                    return runStatus switch { "succeeded" => ExitCodes.Ok, "failed" => ExitCodes.RunFailed, _ => ExitCodes.RunCancelled };
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }));
        return command;
    }
}
