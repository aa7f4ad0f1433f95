using System.Text.Json.Nodes;

namespace Flowkit.Worker.Tests;

public sealed class SecretMaskerTests
{
    [Theory]
    [InlineData("""{"a":"Bearer s3cr3t!"}""", """{"a":"Bearer ***"}""")]
    [InlineData("""{"s3cr3t!":"as a key"}""", """{"***":"as a key"}""")]
    [InlineData("""["x","quote \"s3cr3t!\" inside"]""", """["x","quote \u0022***\u0022 inside"]""")]
    [InlineData("""{"escaped":"s3cr3t\u0021"}""", """{"escaped":"***"}""")]
    [InlineData("""{"url":"https://h/?k=s3cr3t%21"}""", """{"url":"https://h/?k=***"}""")]
    [InlineData("""{"n":1,"ok":true,"nothing":null}""", """{"n":1,"ok":true,"nothing":null}""")]
    public void Apply_Json_MasksTheValueInStringsAndNames(string json, string expected)
    {
        var masker = new SecretMasker(["s3cr3t!"]);

        masker.Apply(JsonNode.Parse(json))!.ToJsonString().Should().Be(JsonNode.Parse(expected)!.ToJsonString());
    }

    [Fact]
    public void Apply_NumericSecretReturnedAsNumber_BecomesMaskedText()
    {
        var masker = new SecretMasker(["424242"]);

        masker.Apply(JsonNode.Parse("""{"pin":424242,"other":42}"""))!.ToJsonString().Should().Be("""{"pin":"***","other":42}""");
    }

    [Fact]
    public void Apply_MultiLineSecret_MasksWholeAndEachLine()
    {
        var key = "-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----";
        var masker = new SecretMasker([key]);

        masker.Apply($"whole: {key}; one line: MIIBOgIBAAJBAK").Should().Be("whole: ***; one line: ***");
    }

    [Fact]
    public void Apply_OneSecretInsideAnother_MasksTheLongerWhole()
    {
        var masker = new SecretMasker(["abc", "abcdef"]);

        masker.Apply("x abcdef y abc").Should().Be("x *** y ***");
    }

    [Fact]
    public void Apply_ValuesTooShortToMask_AreLeftAlone()
    {
        var masker = new SecretMasker(["ab", " "]);

        masker.IsEmpty.Should().BeTrue();
        masker.Apply("about a bus").Should().Be("about a bus");
    }

    [Fact]
    public void Apply_Node_LeavesTheInputUnchanged()
    {
        var input = JsonNode.Parse("""{"a":["s3cr3t!"]}""");

        new SecretMasker(["s3cr3t!"]).Apply(input);

        input!.ToJsonString().Should().Be("""{"a":["s3cr3t!"]}""");
    }
}
