using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker.Steps;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.Worker.Tests;

/// <summary>The worked example of docs/extending.md, compiled and run, so the document cannot drift from the code.</summary>
public sealed class ExtendingExampleTests
{
    [Fact]
    public async Task HashStep_RegisteredWithOneLine_RunsAsAStepType()
    {
        await using var worker = new StepHarness(configure: services => services.AddStepExecutor<HashStep>());

        var output = await worker.RunAsync("hash", new { @with = new { text = "Hello, {{ input.name }}" } });

        output!["sha256"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA256.HashData("Hello, Ada"u8)));
    }

    [Fact]
    public async Task HashStep_MissingText_FailsWithoutRetry()
    {
        await using var worker = new StepHarness(configure: services => services.AddStepExecutor<HashStep>());

        var failure = await worker.FailAsync("hash", new { @with = new { } });

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("invalid_request");
    }

    // --- docs/extending.md, "A worked example" (keep the two in step) ---

    /// <summary><c>hash</c>: the SHA-256 of <c>with.text</c> (templates evaluated) as lowercase hex.</summary>
    internal sealed class HashStep(ExpressionEngine expressions) : IStepExecutor
    {
        public string Type => "hash";

        public Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var with = StepSettings.EvaluateWith(expressions, request);
            var text = StepSettings.OptionalText(with, "text")
                ?? throw new StepFailedException($"Step {request.Command.StepId} needs 'text' in 'with'.", retryable: false, "invalid_request");

            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
            return Task.FromResult<JsonNode?>(new JsonObject { ["sha256"] = Convert.ToHexStringLower(hash) });
        }
    }
}
