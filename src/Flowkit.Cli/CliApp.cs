using System.CommandLine;

namespace Flowkit.Cli;

/// <summary>The <c>flowkit</c> command line (docs/cli.md): every command over the public HTTP API, except offline <c>validate</c>.</summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("Flowkit from the command line: validate, apply and run workflows, follow runs, decide approvals.");
        globals.AddTo(root);
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create(globals, "apply", "Create or update workflows from definition files (YAML or JSON); says which version each now has."));
        root.Subcommands.Add(ApplyCommand.Create(globals, "import", "Import workflows from files written by export (the same as apply)."));
        root.Subcommands.Add(RunCommand.Create(globals));
        root.Subcommands.Add(ReadCommands.Runs(globals));
        root.Subcommands.Add(ReadCommands.Events(globals));
        root.Subcommands.Add(ControlCommands.Approve(globals));
        root.Subcommands.Add(ControlCommands.Cancel(globals));
        // The run controls also stand beside cancel (issue #13 names `rerun` there); `runs pause|resume|rerun` stay.
        root.Subcommands.Add(RunControlCommands.Pause(globals));
        root.Subcommands.Add(RunControlCommands.Resume(globals));
        root.Subcommands.Add(RunControlCommands.Rerun(globals));
        root.Subcommands.Add(ExportCommand.Create(globals));
        root.Subcommands.Add(KeysCommand.Create(globals));
        return root;
    }
}
