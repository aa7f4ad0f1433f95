using System.Text.Json;

namespace Flowkit.Cli.Tests;

/// <summary>The built <c>flowkit</c> tool against a real host (issue #13): output and exit codes.</summary>
[Collection(CliCollection.Name)]
public sealed class CliTests(CliFixture cli) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flowkit-cli-").FullName;

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    private string Write(string file, string text)
    {
        var path = Path.Combine(_dir, file);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Validate_InvalidFile_PrintsTheApiMessageAtItsLineAndExits2()
    {
        var path = Write("bad.yaml", "name: bad\nsteps:\n  - id: a\n    type: teleport\n");

        var result = await cli.RunAsync("validate", path);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Output.Should().Contain($"{path}:4:5: $.steps[0].type: Step 'a' has unknown type 'teleport'.");
    }

    [Fact]
    public async Task Validate_ValidFile_Exits0WithoutAServer()
    {
        var path = Write("good.yaml", "name: good\nsteps:\n  - { id: a, type: transform, with: { x: 1 } }\n");

        var result = await cli.RunAsync(new Dictionary<string, string> { ["FLOWKIT_URL"] = "http://127.0.0.1:1" }, "validate", path);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("valid (good, 1 steps)");
    }

    [Fact]
    public async Task Apply_NewThenChangedThenSame_SaysCreatedUpdatedUnchanged()
    {
        var name = UniqueName("applied");
        var path = Write($"{name}.yaml", $"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n");

        var created = await cli.RunAsync("apply", path);
        Write($"{name}.yaml", $"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 2 }} }}\n");
        var updated = await cli.RunAsync("apply", path);
        var same = await cli.RunAsync("apply", path);

        created.Output.Should().Contain($"created {name} version 1", created.ToString());
        updated.Output.Should().Contain($"updated {name} to version 2", updated.ToString());
        same.Output.Should().Contain($"{name} unchanged (version 2)", same.ToString());
        same.ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task RunWatch_SucceedingRun_ShowsStepsAndExits0()
    {
        var name = UniqueName("watched");
        await cli.RunAsync("apply", Write("w.yaml", $"name: {name}\nsteps:\n  - {{ id: first, type: transform, with: {{ x: 1 }} }}\n  - {{ id: second, type: transform, with: {{ y: 2 }} }}\n"));

        var result = await cli.RunAsync("run", name, "--input", """{"a": 1}""", "--watch");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("second succeeded").And.Contain("run succeeded");
    }

    [Fact]
    public async Task RunWatch_FailingRun_Exits3WithTheError()
    {
        var name = UniqueName("failing");
        await cli.RunAsync("apply", Write("f.yaml", $"name: {name}\nsteps:\n  - id: boom\n    type: script\n    with: {{ code: \"throw new Error('no')\" }}\n"));

        var result = await cli.RunAsync("run", name, "--watch");

        result.ExitCode.Should().Be(3, result.ToString());
        result.Output.Should().Contain("run failed");
    }

    [Fact]
    public async Task ApproveAndEvents_WaitingRun_DecidedFromTheCliAndTimelineAsJson()
    {
        var name = UniqueName("approval");
        await cli.RunAsync("apply", Write("a.yaml", $"name: {name}\nsteps:\n  - {{ id: ask, type: approval, message: \"ok?\" }}\n  - {{ id: after, type: transform, with: {{ x: 1 }} }}\n"));
        var started = await cli.RunAsync("run", name, "--output", "json");
        var runId = JsonDocument.Parse(started.Output).RootElement.GetProperty("runId").GetString()!;
        await Flowkit.Testing.Eventually.UntilAsync(
            () => cli.RunAsync("runs", "--workflow", name, "--status", "waiting", "--output", "json"),
            r => r.Output.Contains(runId, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            $"run {runId} to wait");

        var approved = await cli.RunAsync("approve", runId, "ask", "--comment", "fine");
        var ended = await Flowkit.Testing.Eventually.UntilAsync(
            () => cli.RunAsync("runs", "--workflow", name, "--status", "succeeded", "--output", "json"),
            r => r.Output.Contains(runId, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            $"run {runId} to succeed");
        var events = await cli.RunAsync("events", runId, "--output", "json");

        approved.ExitCode.Should().Be(0, approved.ToString());
        ended.ExitCode.Should().Be(0);
        JsonDocument.Parse(events.Output).RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString())
            .Should().Contain(["ApprovalRequested", "ApprovalDecided", "RunSucceeded"]);
    }

    [Fact]
    public async Task RunsPauseResumeRerun_ApprovalRun_ControlledFromTheCli()
    {
        var name = UniqueName("controlled");
        await cli.RunAsync("apply", Write("c.yaml", $"name: {name}\nsteps:\n  - {{ id: ask, type: approval, message: \"ok?\" }}\n  - {{ id: after, type: transform, with: {{ x: 1 }} }}\n"));
        var runId = JsonDocument.Parse((await cli.RunAsync("run", name, "--output", "json")).Output).RootElement.GetProperty("runId").GetString()!;
        await WaitForStatusAsync(name, runId, "waiting");

        var paused = await cli.RunAsync("runs", "pause", runId, "--reason", "lunch");
        await WaitForStatusAsync(name, runId, "paused");
        var resumed = await cli.RunAsync("runs", "resume", runId);
        await WaitForStatusAsync(name, runId, "waiting");
        var notEnded = await cli.RunAsync("runs", "rerun", runId);
        await cli.RunAsync("approve", runId, "ask", "--reject");
        await WaitForStatusAsync(name, runId, "failed");
        var rerun = await cli.RunAsync("runs", "rerun", runId, "--from", "ask");

        paused.ExitCode.Should().Be(0, paused.ToString());
        paused.Output.Should().Contain($"pausing run {runId}");
        resumed.Output.Should().Contain($"resuming run {runId}", resumed.ToString());
        notEnded.ExitCode.Should().Be(1, notEnded.ToString());
        notEnded.Error.Should().Contain("409").And.Contain("only a run that has ended");
        rerun.ExitCode.Should().Be(0, rerun.ToString());
        rerun.Output.Should().Contain($"a rerun of {runId} from ask");
        var events = await cli.RunAsync("events", runId, "--output", "json");
        JsonDocument.Parse(events.Output).RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString())
            .Should().ContainInOrder("RunPaused", "RunResumed", "RunFailed");
    }

    [Fact]
    public async Task Rerun_TopLevelCommandOnAFailedRun_StartsTheRerunFromTheStep()
    {
        var name = UniqueName("rerun-top");
        await cli.RunAsync("apply", Write("r.yaml", $"name: {name}\nsteps:\n  - {{ id: ask, type: approval, message: \"ok?\" }}\n"));
        var runId = JsonDocument.Parse((await cli.RunAsync("run", name, "--output", "json")).Output).RootElement.GetProperty("runId").GetString()!;
        await WaitForStatusAsync(name, runId, "waiting");
        await cli.RunAsync("approve", runId, "ask", "--reject");
        await WaitForStatusAsync(name, runId, "failed");

        var rerun = await cli.RunAsync("rerun", runId, "--from", "ask", "--output", "json");

        rerun.ExitCode.Should().Be(0, rerun.ToString());
        var answer = JsonDocument.Parse(rerun.Output).RootElement;
        answer.GetProperty("rerunOf").GetString().Should().Be(runId);
        answer.GetProperty("fromStep").GetString().Should().Be("ask");
        await WaitForStatusAsync(name, answer.GetProperty("runId").GetString()!, "waiting");
    }

    private Task<CliResult> WaitForStatusAsync(string workflow, string runId, string status) =>
        Flowkit.Testing.Eventually.UntilAsync(
            () => cli.RunAsync("runs", "--workflow", workflow, "--status", status, "--output", "json"),
            r => r.Output.Contains(runId, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            $"run {runId} to be {status}");

    [Fact]
    public async Task ExportThenImport_Workflow_RoundTripsItsSourceWithoutANewVersion()
    {
        var name = UniqueName("exported");
        var yaml = $"name: {name}\n# kept as written\nsteps:\n  - {{ id: a, type: transform, with: {{ x: 1 }} }}\n";
        await cli.RunAsync("apply", Write("e.yaml", yaml));
        var folder = Path.Combine(_dir, "git");

        var exported = await cli.RunAsync("export", name, "--dir", folder);
        var imported = await cli.RunAsync("import", Path.Combine(folder, $"{name}.yaml"));

        exported.ExitCode.Should().Be(0, exported.ToString());
        (await File.ReadAllTextAsync(Path.Combine(folder, $"{name}.yaml"), TestContext.Current.CancellationToken)).Should().Be(yaml);
        imported.Output.Should().Contain($"{name} unchanged (version 1)", imported.ToString());
    }

    [Fact]
    public async Task Runs_WrongKey_Exits1WithTheServersWords()
    {
        var result = await cli.RunAsync(new Dictionary<string, string> { ["FLOWKIT_API_KEY"] = "fk_wrong" }, "runs");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("401").And.Contain("not valid");
    }

    [Fact]
    public async Task Runs_ProfileFile_GivesServerAndKey()
    {
        var profile = Write("profile.json", JsonSerializer.Serialize(new { url = cli.Server.ToString(), key = Flowkit.Testing.FlowkitFixture.BootstrapKey }));

        var result = await cli.RunAsync(
            new Dictionary<string, string> { ["FLOWKIT_URL"] = "", ["FLOWKIT_API_KEY"] = "" }, "runs", "--profile", profile, "--output", "json");

        result.ExitCode.Should().Be(0, result.ToString());
        JsonDocument.Parse(result.Output).RootElement.ValueKind.Should().Be(JsonValueKind.Array);
    }

    [Fact]
    public async Task Keys_CreateListRotateRevoke_PrintsTheSecretOnceAndTheKeyStopsWorking()
    {
        var name = UniqueName("cli-key");

        var created = await cli.RunAsync("keys", "create", name, "--role", "viewer");
        var secret = created.Output.Trim();
        var listed = await cli.RunAsync("keys");
        var id = listed.Output.Split('\n').Single(l => l.Contains(name, StringComparison.Ordinal)).Split(' ')[0];
        var rotated = await cli.RunAsync("keys", "rotate", id);
        var revoked = await cli.RunAsync("keys", "revoke", id);
        var afterRevoke = await cli.RunAsync(new Dictionary<string, string> { ["FLOWKIT_API_KEY"] = rotated.Output.Trim() }, "runs");

        created.ExitCode.Should().Be(0, created.ToString());
        secret.Should().StartWith("fk_");
        listed.Output.Should().Contain("viewer").And.Contain(secret[..11]).And.NotContain(secret);
        rotated.ExitCode.Should().Be(0, rotated.ToString());
        rotated.Output.Trim().Should().StartWith("fk_").And.NotBe(secret);
        revoked.Output.Should().Contain($"revoked key {id}");
        afterRevoke.ExitCode.Should().NotBe(0, afterRevoke.ToString());
    }
}
