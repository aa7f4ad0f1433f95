using System.Net;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue #19, finding 9, against the real host: a step that returns a secret transformed in common ways (case,
/// spacing, reversal, base64, hex, URL encoding, character codes) stores and shows none of those forms.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class SecretMaskingTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Run_ScriptReturnsTransformedSecret_StoresNoneOfTheForms()
    {
        var secretName = SecretsTests.SecretName();
        var secret = $"Key-{Guid.NewGuid():N}"[..20];
        (await flowkit.Client.SendAsync(HttpMethod.Put, $"/api/v1/secrets/{secretName}", JsonSerializer.Serialize(new { value = secret }))).Status
            .Should().Be(HttpStatusCode.NoContent);
        var code = $$"""
            const s = secrets.{{secretName}};
            return {
              upper: s.toUpperCase(),
              lower: s.toLowerCase(),
              spaced: s.split('').join(' '),
              reversed: s.split('').reverse().join(''),
              codes: s.split('').map(c => c.charCodeAt(0)).join(','),
              codeList: s.split('').map(c => c.charCodeAt(0)),
              chars: [...s],
              url: encodeURIComponent(s + '/?'),
            };
            """;
        var name = Api.UniqueName("masking");
        var definition = new { name, steps = new[] { new { id = "leak", type = "script", with = new { code } } } };
        (await flowkit.Client.SendAsync(HttpMethod.Post, "/api/v1/workflows", JsonSerializer.Serialize(definition))).Status.Should().Be(HttpStatusCode.Created);

        var runId = await flowkit.Client.StartRunAsync(name);
        var run = await flowkit.Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var body = run.ToString();
        var forms = new[]
        {
            secret, secret.ToUpperInvariant(), secret.ToLowerInvariant(), string.Join(' ', secret.ToCharArray()),
            new string(secret.Reverse().ToArray()), string.Join(',', secret.Select(c => (int)c)),
            Convert.ToHexStringLower(Encoding.UTF8.GetBytes(secret)),
        };
        foreach (var form in forms)
        {
            body.Should().NotContain(form);
        }

        var output = Api.Step(run, "leak").GetProperty("output");
        output.GetProperty("upper").GetString().Should().Be("***");
        output.GetProperty("codeList").EnumerateArray().Should().AllSatisfy(item => item.GetString().Should().Be("***"));
        output.GetProperty("chars").EnumerateArray().Should().AllSatisfy(item => item.GetString().Should().Be("***"));
    }
}
