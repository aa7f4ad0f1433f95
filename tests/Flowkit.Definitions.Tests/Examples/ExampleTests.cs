using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Expressions;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Examples;

/// <summary>Every flow in examples/ is valid, compiles, and only calls this machine (examples get run locally).</summary>
public sealed partial class ExampleTests
{
    public static TheoryData<string> Files()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(ExamplesFolder()).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(file));
        }

        return files;
    }

    [Fact]
    public void Examples_Folder_HasAtLeastSixFlows()
    {
        Files().Count.Should().BeGreaterThanOrEqualTo(6);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Compile_Example_IsValidAndNamedLikeItsFile(string file)
    {
        var text = File.ReadAllText(Path.Combine(ExamplesFolder(), file));
        var format = file.EndsWith(".json", StringComparison.Ordinal) ? DocumentFormat.Json : DocumentFormat.Yaml;

        var compilation = SharedCompiler.Compile(text, format);

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!.Steps.Should().NotBeEmpty();
        compilation.Definition!.Name.Should().Be(Path.GetFileNameWithoutExtension(file));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_Urls_PointAtThisMachineOrASecret(string file)
    {
        var text = File.ReadAllText(Path.Combine(ExamplesFolder(), file));

        UrlPattern().Matches(text).Select(m => m.Groups["host"].Value).Should().OnlyContain(host => host == "127.0.0.1" || host == "localhost");
    }

    [Fact]
    public void GithubPushNotification_SummaryScript_SummarizesThePush()
    {
        var plan = SharedCompiler.Compile(File.ReadAllText(Path.Combine(ExamplesFolder(), "github-push-notification.yaml")), DocumentFormat.Yaml).Plan!;
        var code = plan["summary"].Spec.GetProperty("with").GetProperty("code").GetString()!;
        var input = JsonDocument.Parse("""
            { "body": { "ref": "refs/heads/main", "pusher": { "name": "ada" }, "repository": { "full_name": "acme/shop" },
              "commits": [ { "message": "Fix totals\n\nLong text", "author": { "name": "Ada" } } ] } }
            """).RootElement;
        var scope = new ExpressionScope(input, new Dictionary<string, JsonElement>(), new RunInfo(Guid.NewGuid(), "github-push-notification", 1, 1));

        var output = SharedExpressions.RunScript(code, scope)!;

        output["text"]!.GetValue<string>().Should().Be("ada pushed 1 commit(s) to acme/shop:\n• Fix totals (Ada)");
        SharedExpressions.EvaluateCondition(plan["on_main"].Spec.GetProperty("if").GetString()!, scope).Should().BeTrue();
    }

    [Fact]
    public void RetryingApiSync_ContactsTransform_MapsTheCrmItems()
    {
        var plan = SharedCompiler.Compile(File.ReadAllText(Path.Combine(ExamplesFolder(), "retrying-api-sync.yaml")), DocumentFormat.Yaml).Plan!;
        var changed = JsonDocument.Parse("""{ "status": 200, "body": { "items": [ { "email": "a@example.org", "firstName": "Ada", "lastName": "L", "optedOut": false } ] } }""").RootElement;
        var scope = new ExpressionScope(default, new Dictionary<string, JsonElement> { ["changed"] = changed }, new RunInfo(Guid.NewGuid(), "retrying-api-sync", 1, 1));

        var output = SharedExpressions.EvaluateTemplate(plan["contacts"].Spec.GetProperty("with"), scope)!;

        output.ToJsonString().Should().Be("""{"count":1,"members":[{"email":"a@example.org","name":"Ada L","subscribed":true}]}""");
    }

    [Fact]
    public void WelcomeEachCustomer_ForEachStep_RunsPerItemWithItemAndIndex()
    {
        var plan = SharedCompiler.Compile(File.ReadAllText(Path.Combine(ExamplesFolder(), "welcome-each-customer.yaml")), DocumentFormat.Yaml).Plan!;
        var welcome = plan["welcome"];
        welcome.ForEach.Should().Be("{{ steps.signups.output.body.items }}");
        welcome.ForEachConcurrency.Should().Be(10);
        welcome.References.Should().Equal("signups");
        welcome.ItemReferences.Should().BeEmpty("only forEach reads the list, so an item's message does not carry it");
        var scope = new ExpressionScope(default, new Dictionary<string, JsonElement>(), new RunInfo(Guid.NewGuid(), "welcome-each-customer", 1, 1))
        {
            Globals = new Dictionary<string, JsonElement>
            {
                ["item"] = JsonDocument.Parse("""{ "email": "ada@example.org", "name": "Ada" }""").RootElement,
                ["index"] = JsonDocument.Parse("3").RootElement,
            },
        };

        var body = SharedExpressions.EvaluateTemplate(welcome.Spec.GetProperty("with").GetProperty("body"), scope)!;

        body.ToJsonString().Should().Be("""{"name":"Ada","position":3,"to":"ada@example.org"}""", "the stored spec is canonical: keys in order");
    }

    private static string ExamplesFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Flowkit.sln")))
            {
                return Path.Combine(folder.FullName, "examples");
            }
        }

        throw new InvalidOperationException($"No Flowkit.sln above {AppContext.BaseDirectory}: the examples test runs from inside the repository.");
    }

    [GeneratedRegex(@"https?://(?<host>[^/:""\s]+)", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();
}
