using System.Text.Json.Nodes;
using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Worker.Steps;

/// <summary>
/// Runs one step type on a worker. Adding a step type is one class implementing this plus one registration
/// (docs/extending.md).
/// </summary>
public interface IStepExecutor
{
    /// <summary>The step type this executor runs (<c>type:</c> in the definition).</summary>
    string Type { get; }

    /// <summary>Runs one attempt and returns the step's output. A failure is a <see cref="StepFailedException"/>.</summary>
    Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken);
}

/// <summary>One attempt of one step as a worker sees it.</summary>
/// <param name="Command">The message from the engine.</param>
/// <param name="Scope">What the step's expressions can read: input, referenced step outputs, run info.</param>
public sealed record StepRequest(ExecuteStep Command, ExpressionScope Scope);

/// <summary>A step attempt failed; <see cref="Retryable"/> says whether another attempt may succeed.</summary>
public sealed class StepFailedException : Exception
{
    public StepFailedException(string message, bool retryable, string code, Exception? innerException = null)
        : base(message, innerException)
    {
        Retryable = retryable;
        Code = code;
    }

    /// <summary>A failed HTTP answer: its status travels with the error, so <c>retry.on</c> rules can name it.</summary>
    public StepFailedException(string message, bool retryable, string code, int status)
        : this(message, retryable, code)
    {
        Status = status;
    }

    public StepFailedException()
    {
        Code = "failed";
    }

    public StepFailedException(string message)
        : base(message)
    {
        Code = "failed";
    }

    public StepFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "failed";
    }

    public bool Retryable { get; }

    public string Code { get; }

    /// <summary>The HTTP status of a failed answer (code <c>http_status</c>); null otherwise.</summary>
    public int? Status { get; }
}
