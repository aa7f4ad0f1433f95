using System.CommandLine;

namespace Flowkit.Cli;

/// <summary><c>approve RUN STEP</c> (or <c>--reject</c>) and <c>cancel RUN</c>.</summary>
internal static class ControlCommands
{
    public static Command Approve(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The run's id." };
        var step = new Argument<string>("step") { Description = "The approval step's id." };
        var reject = new Option<bool>("--reject") { Description = "Reject instead of approving." };
        var comment = new Option<string?>("--comment", "-m") { Description = "A comment kept with the decision." };
        var command = new Command("approve", "Decide a waiting approval step (approve, or reject with --reject).") { run, step, reject, comment };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            var decision = parse.GetValue(reject) ? "reject" : "approve";
            await client.PostJsonAsync($"/api/v1/runs/{parse.GetValue(run)}/approvals/{Uri.EscapeDataString(parse.GetValue(step)!)}",
                new { decision, comment = parse.GetValue(comment) }, cancellationToken);
            await Console.Out.WriteLineAsync($"{(decision == "approve" ? "approved" : "rejected")} step {parse.GetValue(step)} of run {parse.GetValue(run)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Cancel(GlobalOptions globals)
    {
        var run = new Argument<Guid>("run") { Description = "The run's id." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept on the run's timeline)." };
        var command = new Command("cancel", "Cancel a run; its running steps are told to stop.") { run, reason };
        command.SetAction(Guarded.Action(async (parse, cancellationToken) =>
        {
            using var client = new FlowkitClient(globals.Connect(parse));
            await client.PostJsonAsync($"/api/v1/runs/{parse.GetValue(run)}/cancel", new { reason = parse.GetValue(reason) }, cancellationToken);
            await Console.Out.WriteLineAsync($"cancelling run {parse.GetValue(run)}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
