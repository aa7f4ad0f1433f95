using System.CommandLine;

namespace Flowkit.Cli;

/// <summary><c>runs pause RUN</c>, <c>runs resume RUN</c> and <c>runs rerun RUN [--from STEP] [--version N]</c> (docs/run-control.md).</summary>
internal static class RunControlCommands
{
    public static Command Pause(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The run's id." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept on the run's timeline)." };
        var command = new Command("pause", "Pause a run: nothing new starts; running steps finish and their results are kept.") { run, reason };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            await client.PostJsonAsync($"/api/v1/runs/{parse.GetValue(run)}/pause", new { reason = parse.GetValue(reason) }, cancellationToken);
            await Console.Out.WriteLineAsync($"pausing run {parse.GetValue(run)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Resume(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The run's id." };
        var command = new Command("resume", "Resume a paused run: what it held starts, what fell due acts.") { run };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            await client.PostJsonAsync($"/api/v1/runs/{parse.GetValue(run)}/resume", new { }, cancellationToken);
            await Console.Out.WriteLineAsync($"resuming run {parse.GetValue(run)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Rerun(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The ended run to rerun." };
        var from = new Option<string?>("--from") { Description = "Rerun this step and everything after it; the steps before it reuse their results. Default: from the start." };
        var version = new Option<int?>("--version") { Description = "Run on this (newer) version instead of the run's own." };
        var command = new Command("rerun", "Rerun an ended run as a new run, from the start or from a step.") { run, from, version };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var (_, rerun) = await client.PostJsonAsync($"/api/v1/runs/{parse.GetValue(run)}/rerun",
                new { fromStep = parse.GetValue(from), version = parse.GetValue(version) }, cancellationToken);
            var start = parse.GetValue(from) is { } step ? $" from {step}" : " from the start";
            await Console.Out.WriteLineAsync(globals.Json(parse)
                ? rerun.GetRawText()
                : $"started run {rerun.GetProperty("runId").GetString()} (version {rerun.GetProperty("version").GetInt32()}), a rerun of {parse.GetValue(run)}{start}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
