namespace Flowkit.Definitions.Validation;

/// <summary>Thrown to end validation early; the problems collected so far are the answer.</summary>
internal sealed class ValidationStoppedException : Exception
{
    public ValidationStoppedException()
        : base("Validation stopped at a limit.")
    {
    }

    public ValidationStoppedException(string message)
        : base(message)
    {
    }

    public ValidationStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
