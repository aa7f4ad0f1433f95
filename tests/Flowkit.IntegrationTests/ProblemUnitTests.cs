using System.Text.Json;
using Flowkit.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>Exceptions as problem details (issue #4): no services.</summary>
public sealed class ProblemUnitTests
{
    [Fact]
    public async Task ExceptionHandler_UnexpectedException_Answers500WithoutItsMessage()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<IProblemDetailsService>());

        var handled = await handler.TryHandleAsync(context, new InvalidOperationException("connection string with a password"), CancellationToken.None);

        handled.Should().BeTrue();
        context.Response.StatusCode.Should().Be(500);
        var body = System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        var problem = JsonDocument.Parse(body).RootElement;
        problem.GetProperty("type").GetString().Should().Be(ProblemTypes.Internal);
        body.Should().NotContain("password").And.NotContain("InvalidOperationException").And.NotContain(" at ");
    }

    [Fact]
    public async Task ExceptionHandler_UnreadableBody_AnswersItsStatusNamingTheProblem()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<IProblemDetailsService>());
        var json = new JsonException("'}' is invalid after a value. Path: $.input | LineNumber: 0 | BytePositionInLine: 19.");

        await handler.TryHandleAsync(context, new BadHttpRequestException("Failed to read parameter.", json), CancellationToken.None);

        context.Response.StatusCode.Should().Be(400);
        var problem = JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray()).RootElement;
        problem.GetProperty("type").GetString().Should().Be(ProblemTypes.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("not valid JSON").And.Contain("$.input");
    }
}
