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

    private const string Secret = "p@ss w/rd-42!";

    public static readonly TheoryData<string, string> Transforms = new()
    {
        { "upper case", Secret.ToUpperInvariant() },
        { "lower case", "P@SS W/RD-42!".ToLowerInvariant() },
        { "mixed case", "P@sS W/rD-42!" },
        { "spaced out", string.Join(' ', Secret.ToCharArray()) },
        { "comma separated", string.Join(',', Secret.ToCharArray()) },
        { "JSON text of its characters", System.Text.Json.JsonSerializer.Serialize(Secret.Select(c => c.ToString())) },
        { "reversed", new string(Secret.Reverse().ToArray()) },
        { "reversed and upper-cased", new string(Secret.ToUpperInvariant().Reverse().ToArray()) },
        { "base64", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Secret)) },
        { "base64 inside Basic auth", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + Secret)) },
        { "base64 after one byte", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x" + Secret + "y")) },
        { "URL-safe base64", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("?" + Secret + "??")).Replace('+', '-').Replace('/', '_') },
        { "hex", Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(Secret)) },
        { "upper-case hex", Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(Secret)) },
        { "hex with separators", string.Join(':', System.Text.Encoding.UTF8.GetBytes(Secret).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))) },
        { "percent-encoded bytes", string.Concat(System.Text.Encoding.UTF8.GetBytes(Secret).Select(b => "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))) },
        { "URL encoded", Uri.EscapeDataString(Secret) },
        { "form encoded", System.Net.WebUtility.UrlEncode(Secret) },
        { "character codes", string.Join(",", Secret.Select(c => (int)c)) },
        { "character codes with spaces", string.Join(", ", Secret.Select(c => (int)c)) },
    };

    [Theory]
    [MemberData(nameof(Transforms))]
    public void Apply_TransformedSecret_IsMasked(string transform, string form)
    {
        var masker = new SecretMasker([Secret]);

        var masked = masker.Apply($"before {form} after");

        masked.Should().NotContain(form, transform).And.Contain(SecretMasker.Mask).And.StartWith("before ").And.EndWith(" after");
    }

    [Theory]
    [InlineData("""{"chars":["p","@","s","s"," ","w","/","r","d","-","4","2","!"]}""")]
    [InlineData("""{"codes":[112,64,115,115,32,119,47,114,100,45,52,50,33]}""")]
    [InlineData("""{"backwards":["!","2","4","-","d","r","/","w"," ","s","s","@","p"]}""")]
    public void Apply_ArrayItemsSpellingTheSecret_AreAllMasked(string json)
    {
        var masker = new SecretMasker([Secret]);

        var masked = masker.Apply(JsonNode.Parse(json))!;

        masked.AsObject().Single().Value!.AsArray().Should().AllSatisfy(item => item!.GetValue<string>().Should().Be(SecretMasker.Mask));
    }

    [Theory]
    [InlineData("an ordinary sentence about passwords and words")]
    [InlineData("""{"id":"inv-7","amount":1500,"tags":["a","b"]}""")]
    [InlineData("aGVsbG8gd29ybGQ=")]
    public void Apply_TextWithoutTheSecret_IsLeftAlone(string text)
    {
        new SecretMasker([Secret]).Apply(text).Should().Be(text);
    }
}
