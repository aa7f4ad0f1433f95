using System.Net;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue #19, finding 1, against the real host: a script in one workspace cannot observe another workspace's runs
/// through the JavaScript built-ins (iterator, generator and async prototypes, RegExp's legacy statics), whatever
/// it changes in them.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class ScriptIsolationTests(FlowkitFixture flowkit)
{
    // Enough sequential steps to pass through every engine a worker could keep.
    private const int Rounds = 8;

    // Every prototype a script reaches without globalThis, named for the report.
    private const string Prototypes = """
        const protos = {
          ArrayIterator: Object.getPrototypeOf([][Symbol.iterator]()),
          StringIterator: Object.getPrototypeOf(''[Symbol.iterator]()),
          MapIterator: Object.getPrototypeOf(new Map()[Symbol.iterator]()),
          SetIterator: Object.getPrototypeOf(new Set()[Symbol.iterator]()),
          RegExpStringIterator: Object.getPrototypeOf('a'.matchAll(/a/g)),
          Iterator: Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
          GeneratorFunction: Object.getPrototypeOf(function* () {}),
          Generator: Object.getPrototypeOf(function* () {}).prototype,
          AsyncFunction: Object.getPrototypeOf(async function () {}),
          AsyncGeneratorFunction: Object.getPrototypeOf(async function* () {}),
          AsyncGenerator: Object.getPrototypeOf(async function* () {}).prototype,
          AsyncIterator: Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype),
        };
        """;

    private const string Tamper = Prototypes + """
        for (const [name, p] of Object.entries(protos)) {
          try { Object.defineProperty(p, 'flowkitLog', { value: [], writable: true, configurable: true }); } catch { }
          if (typeof p.next === 'function' && !p.flowkitWrapped) {
            const original = p.next;
            try {
              p.next = function (...args) {
                const r = original.apply(this, args);
                try { p.flowkitLog.push(String(r && r.value)); } catch { }
                return r;
              };
              p.flowkitWrapped = true;
            } catch { }
          }
        }
        return 'tampered';
        """;

    private const string Read = Prototypes + """
        const marked = [];
        const recorded = [];
        for (const [name, p] of Object.entries(protos)) {
          if (Object.prototype.hasOwnProperty.call(p, 'flowkitLog')) { marked.push(name); recorded.push(...p.flowkitLog); }
        }
        return { marked, recorded, lastMatch: RegExp.lastMatch, group: RegExp.$1 };
        """;

    [Fact]
    public async Task Scripts_TamperingInOneWorkspace_SeeNothingOfAnotherWorkspacesRuns()
    {
        var (attacker, _) = await flowkit.NewWorkspaceClientAsync("tamper");
        var victim = flowkit.Client;
        var secretName = SecretsTests.SecretName();
        var secret = $"tok-{Guid.NewGuid():N}";
        (await victim.SendAsync(HttpMethod.Put, $"/api/v1/secrets/{secretName}", JsonSerializer.Serialize(new { value = secret }))).Status
            .Should().Be(HttpStatusCode.NoContent);
        var victimCode = $$"""
            const out = [];
            for (const [key, value] of Object.entries({ token: secrets.{{secretName}}, customer: input.email })) out.push(key + value);
            out.push(...secrets.{{secretName}});
            for (const entry of new Map([['t', secrets.{{secretName}}]])) out.push(entry);
            out.push(...new Set([secrets.{{secretName}}]));
            out.push(...secrets.{{secretName}}.matchAll(/.+/g));
            function* g() { yield secrets.{{secretName}}; }
            out.push(...g());
            async function a() { return secrets.{{secretName}}; }
            a();
            async function* ag() { yield secrets.{{secretName}}; }
            ag().next();
            /(.+)/.exec(secrets.{{secretName}});
            return out.length;
            """;

        var tamper = await CreateAsync(attacker, "tamper", Tamper);
        var use = await CreateAsync(victim, "victim", victimCode);
        var read = await CreateAsync(attacker, "read", Read);

        await RunAsync(attacker, tamper, input: null);
        await RunAsync(victim, use, input: new { email = "ada@example.com" });
        var readRun = await RunAsync(attacker, read, input: null);

        var outputs = readRun.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("output")).ToList();
        outputs.Should().HaveCount(Rounds);
        foreach (var output in outputs)
        {
            output.GetProperty("marked").EnumerateArray().Should().BeEmpty("no prototype may keep what another run put on it: {0}", output);
            output.GetProperty("recorded").EnumerateArray().Should().BeEmpty();
            output.GetProperty("lastMatch").GetString().Should().BeEmpty("RegExp's last match belongs to the run that made it");
        }

        readRun.ToString().Should().NotContain(secret).And.NotContain("ada@example.com");
    }

    private static async Task<string> CreateAsync(HttpClient client, string prefix, string code)
    {
        var name = Api.UniqueName(prefix);
        var definition = new
        {
            name,
            steps = Enumerable.Range(1, Rounds).Select(i => new { id = $"s{i}", type = "script", with = new { code } }),
        };
        var created = await client.SendAsync(HttpMethod.Post, "/api/v1/workflows", JsonSerializer.Serialize(definition));
        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        return name;
    }

    private static async Task<JsonElement> RunAsync(HttpClient client, string workflow, object? input)
    {
        var runId = await client.StartRunAsync(workflow, input);
        var run = await client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        return run;
    }
}
