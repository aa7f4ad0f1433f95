using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Worker.Tests;

/// <summary>The http step against real servers on loopback (allowed through the allowlist, as in production).</summary>
public sealed class HttpStepTests : IAsyncLifetime
{
    // A timeout no loaded CI machine reaches while streaming the small responses here (3 s was reached once at a
    // load average of 40); the timeout test has a worker of its own with a short one.
    private readonly StepHarness _worker = new(StepHarness.AllowLoopbackNetwork(
        ("Flowkit:Worker:Http:Timeout", "00:01:00"),
        ("Flowkit:Worker:Http:MaxResponseBytes", "4096")));

    private LoopbackServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/json", () => Results.Json(new { id = 7, tags = (string[])["a", "b"] }));
            app.MapGet("/text", () => Results.Text("plain words", "text/plain"));
            app.MapGet("/bad-json", () => Results.Text("{not json", "application/json"));
            app.MapGet("/empty", () => Results.NoContent());
            app.Map("/echo", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                return Results.Json(new
                {
                    method = context.Request.Method,
                    contentType = context.Request.ContentType,
                    idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString(),
                    authorization = context.Request.Headers.Authorization.ToString(),
                    custom = context.Request.Headers["X-Custom"].ToString(),
                    body = await reader.ReadToEndAsync(),
                });
            });
            app.MapGet("/status/{code:int}", (int code) => Results.Text($"status {code} body", "text/plain", statusCode: code));
            app.MapGet("/slow", async (CancellationToken cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
                return Results.Ok();
            });
            app.MapGet("/big", () => Results.Text(new string('x', 5000), "text/plain"));
            app.MapGet("/big-chunked", async (HttpContext context) =>
            {
                // No Content-Length: the limit must hold while reading the stream too.
                context.Response.ContentType = "text/plain";
                for (var i = 0; i < 10; i++)
                {
                    await context.Response.WriteAsync(new string('y', 1000));
                    await context.Response.Body.FlushAsync();
                }
            });
            app.MapGet("/redirect", () => Results.Redirect("/json"));
            app.MapPost("/see-other", (HttpContext context) =>
            {
                context.Response.Headers.Location = "/echo";
                return Results.StatusCode(303);
            });
            app.MapGet("/loop", () => Results.Redirect("/loop"));
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _worker.DisposeAsync();
    }

    [Fact]
    public async Task Get_JsonResponse_OutputsStatusHeadersAndParsedBody()
    {
        var output = await _worker.RunAsync("http", Spec("GET", "/json"));

        output!["status"]!.GetValue<int>().Should().Be(200);
        output["headers"]!["content-type"]!.GetValue<string>().Should().StartWith("application/json");
        output["body"]!["id"]!.GetValue<int>().Should().Be(7);
        output["body"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal("a", "b");
    }

    [Theory]
    [InlineData("/text", "plain words")]
    [InlineData("/bad-json", "{not json")]
    public async Task Get_NonJsonBody_OutputsText(string path, string expected)
    {
        var output = await _worker.RunAsync("http", Spec("GET", path));

        output!["body"]!.GetValue<string>().Should().Be(expected);
    }

    [Fact]
    public async Task Get_NoBody_OutputsNullBody()
    {
        var output = await _worker.RunAsync("http", Spec("GET", "/empty"));

        output!["status"]!.GetValue<int>().Should().Be(204);
        output["body"].Should().BeNull();
    }

    [Fact]
    public async Task Post_ObjectBody_IsSentAsJsonWithTheIdempotencyKey()
    {
        var spec = new
        {
            @with = new
            {
                method = "POST",
                url = _server.Url("/echo"),
                headers = new Dictionary<string, string> { ["X-Custom"] = "hello {{ input.name }}" },
                body = new { name = "{{ input.name }}", twice = "{{ input.n * 2 }}" },
            },
        };

        var output = await _worker.RunAsync("http", spec);

        var echo = output!["body"]!;
        echo["method"]!.GetValue<string>().Should().Be("POST");
        echo["contentType"]!.GetValue<string>().Should().Be("application/json");
        echo["idempotencyKey"]!.GetValue<string>().Should().Be("0190f5b4-0000-7000-8000-000000000001:step1");
        echo["custom"]!.GetValue<string>().Should().Be("hello Ada");
        JsonNode.Parse(echo["body"]!.GetValue<string>())!.ToJsonString().Should().Be("""{"name":"Ada","twice":42}""");
    }

    [Fact]
    public async Task Post_TextBody_IsSentAsPlainTextUnlessTheStepSaysOtherwise()
    {
        var spec = new
        {
            @with = new
            {
                method = "PUT",
                url = _server.Url("/echo"),
                headers = new Dictionary<string, string> { ["Content-Type"] = "text/csv" },
                body = "a,b\n1,2",
            },
        };

        var output = await _worker.RunAsync("http", spec);

        output!["body"]!["contentType"]!.GetValue<string>().Should().Be("text/csv");
        output["body"]!["body"]!.GetValue<string>().Should().Be("a,b\n1,2");
    }

    [Fact]
    public async Task Get_HeaderFromSecret_IsSent()
    {
        var spec = new { @with = new { url = _server.Url("/echo"), headers = new { Authorization = "Bearer {{ secrets.api_token }}" } } };

        var output = await _worker.RunAsync("http", spec, new Dictionary<string, string> { ["api_token"] = "tok-123456" });

        output!["body"]!["authorization"]!.GetValue<string>().Should().Be("Bearer tok-123456");
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(429, true)]
    [InlineData(408, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(422, false)]
    public async Task Get_ErrorStatus_FailsRetryableOnlyFor5xx429And408(int status, bool retryable)
    {
        var failure = await _worker.FailAsync("http", Spec("GET", $"/status/{status}"));

        failure.Retryable.Should().Be(retryable);
        failure.Code.Should().Be("http_status");
        failure.Message.Should().Contain($"answered {status}").And.Contain($"status {status} body");
    }

    [Theory]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(503)]
    public async Task Get_StatusListedAsExpected_Succeeds(int status)
    {
        var spec = new { @with = new { url = _server.Url($"/status/{status}"), expectedStatuses = new[] { status } } };

        var output = await _worker.RunAsync("http", spec);

        output!["status"]!.GetValue<int>().Should().Be(status);
        output["body"]!.GetValue<string>().Should().Be($"status {status} body");
    }

    [Fact]
    public async Task Get_SlowerThanTheDefaultTimeout_FailsRetryably()
    {
        await using var worker = new StepHarness(StepHarness.AllowLoopbackNetwork(("Flowkit:Worker:Http:Timeout", "00:00:01")));

        var failure = await worker.FailAsync("http", Spec("GET", "/slow"));

        failure.Retryable.Should().BeTrue();
        failure.Code.Should().Be("timeout");
        failure.Message.Should().Contain("1 s").And.Contain("Flowkit:Worker:Http:Timeout");
    }

    [Fact]
    public async Task Get_ConnectionRefused_FailsRetryably()
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var failure = await _worker.FailAsync("http", new { @with = new { url = $"http://127.0.0.1:{port}/x" } });

        failure.Retryable.Should().BeTrue();
        failure.Code.Should().Be("connection");
    }

    [Theory]
    [InlineData("/big")]
    [InlineData("/big-chunked")]
    public async Task Get_ResponseOverTheSizeLimit_FailsWithoutRetry(string path)
    {
        var failure = await _worker.FailAsync("http", Spec("GET", path));

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("response_too_large");
        failure.Message.Should().Contain("4 KiB limit").And.Contain("Flowkit:Worker:Http:MaxResponseBytes");
    }

    [Fact]
    public async Task Get_Redirect_IsFollowed()
    {
        var output = await _worker.RunAsync("http", Spec("GET", "/redirect"));

        output!["status"]!.GetValue<int>().Should().Be(200);
        output["body"]!["id"]!.GetValue<int>().Should().Be(7);
    }

    [Fact]
    public async Task Post_SeeOther_ContinuesAsGetWithoutBody()
    {
        var spec = new { @with = new { method = "POST", url = _server.Url("/see-other"), body = new { a = 1 } } };

        var output = await _worker.RunAsync("http", spec);

        output!["body"]!["method"]!.GetValue<string>().Should().Be("GET");
        output["body"]!["body"]!.GetValue<string>().Should().BeEmpty();
    }

    [Fact]
    public async Task Get_EndlessRedirects_FailsWithoutRetry()
    {
        var failure = await _worker.FailAsync("http", Spec("GET", "/loop"));

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("too_many_redirects");
    }

    [Fact]
    public async Task Get_RedirectToAnotherOrigin_DropsCredentialsAndSecretHeaders()
    {
        // Two servers on different ports are different origins.
        await using var other = await LoopbackServer.StartAsync(app => app.MapGet("/go", () => Results.Redirect(_server.Url("/echo"))));
        var spec = new
        {
            @with = new
            {
                url = other.Url("/go"),
                headers = new Dictionary<string, string>
                {
                    ["Authorization"] = "Bearer abc",
                    ["X-Custom"] = "key={{ secrets.api_token }}",
                    ["Accept"] = "application/json",
                },
            },
        };

        var output = await _worker.RunAsync("http", spec, new Dictionary<string, string> { ["api_token"] = "tok-123456" });

        output!["body"]!["authorization"]!.GetValue<string>().Should().BeEmpty();
        output["body"]!["custom"]!.GetValue<string>().Should().BeEmpty();
        output["body"]!["idempotencyKey"]!.GetValue<string>().Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/file")]
    [InlineData("not a url")]
    public async Task Get_UrlNotHttp_FailsWithoutRetry(string url)
    {
        var failure = await _worker.FailAsync("http", new { @with = new { url } });

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("invalid_request");
    }

    private object Spec(string method, string path) => new { @with = new { method, url = _server.Url(path) } };
}
