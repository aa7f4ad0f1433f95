using System.Text.Json;

namespace Flowkit.Definitions.Reading;

internal static class JsonDocumentReader
{
    // Lenient about comments and trailing commas (people edit these by hand); duplicate keys are let
    // through here and reported with their path by the validator.
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = DocumentLimits.MaxDepth,
    };

    public static JsonDocument Read(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new DocumentFormatException("The document is empty. Write the workflow as a JSON object with a name and steps.");
        }

        try
        {
            return JsonDocument.Parse(text, Options);
        }
        catch (JsonException e)
        {
            var message = e.Message;
            var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut < 0)
            {
                cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            }

            if (cut > 0)
            {
                message = message[..cut];
            }

            throw new DocumentFormatException(
                $"The JSON cannot be read at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {message.TrimEnd()}", e);
        }
    }
}

internal static class DocumentLimits
{
    /// <summary>Nesting depth of objects and lists in a definition.</summary>
    public const int MaxDepth = 64;
}
