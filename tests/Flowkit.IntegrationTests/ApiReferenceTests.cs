using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>The interactive API reference (Scalar) over the OpenAPI document, at /reference (issue #11).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ApiReferenceTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task ApiReference_WithoutAKey_ServesThePageForTheOpenApiDocumentAndItsScript()
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);
        var ct = TestContext.Current.CancellationToken;

        using var page = await anonymous.GetAsync("/reference/", ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        page.StatusCode.Should().Be(HttpStatusCode.OK, html);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        html.Should().Contain("openapi/v1.json").And.Contain("scalar.js").And.Contain("\"withDefaultFonts\":false");

        using var script = await anonymous.GetAsync("/reference/scalar.js", ct);
        script.StatusCode.Should().Be(HttpStatusCode.OK);
        using var document = await anonymous.GetAsync("/openapi/v1.json", ct);
        document.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
