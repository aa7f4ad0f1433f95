namespace Flowkit.Definitions.Reading;

/// <summary>The text is not well-formed YAML or JSON; the message says where, in plain words.</summary>
internal sealed class DocumentFormatException : Exception
{
    public DocumentFormatException()
    {
    }

    public DocumentFormatException(string message)
        : base(message)
    {
    }

    public DocumentFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
