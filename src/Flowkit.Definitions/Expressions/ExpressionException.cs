namespace Flowkit.Definitions.Expressions;

/// <summary>What went wrong in an expression.</summary>
public enum ExpressionErrorKind
{
    /// <summary>The expression or script does not parse.</summary>
    Syntax,

    /// <summary>It threw while running (a JavaScript error such as reading a property of undefined).</summary>
    Runtime,

    /// <summary>Its result cannot be represented as JSON (for example a BigInt or a circular object).</summary>
    Result,

    /// <summary>It ran longer than its time limit.</summary>
    TimeLimit,

    /// <summary>It allocated more than the memory limit or made an array longer than allowed.</summary>
    MemoryLimit,

    /// <summary>It executed more statements than allowed.</summary>
    StatementLimit,

    /// <summary>Its function calls nested deeper than allowed.</summary>
    RecursionLimit,
}

/// <summary>An expression, template or script failed; the message says which one and why (never a secret value).</summary>
public sealed class ExpressionException : Exception
{
    public ExpressionException()
    {
    }

    public ExpressionException(string message)
        : base(message)
    {
    }

    public ExpressionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExpressionException(string message, ExpressionErrorKind kind, string? expression, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Expression = expression;
    }

    /// <summary>What went wrong.</summary>
    public ExpressionErrorKind Kind { get; } = ExpressionErrorKind.Runtime;

    /// <summary>The expression or script text that failed.</summary>
    public string? Expression { get; }

    /// <summary>True when a sandbox limit (time, memory, statements, recursion) stopped it.</summary>
    public bool IsLimitExceeded => Kind is ExpressionErrorKind.TimeLimit or ExpressionErrorKind.MemoryLimit
        or ExpressionErrorKind.StatementLimit or ExpressionErrorKind.RecursionLimit;
}
