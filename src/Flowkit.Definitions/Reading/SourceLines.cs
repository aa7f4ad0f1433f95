using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Flowkit.Definitions.Reading;

/// <summary>Where a value starts in the text of a definition: 1-based line and column.</summary>
public readonly record struct SourcePosition(int Line, int Column);

/// <summary>
/// Maps the JSON paths that validation names (<c>$.steps[2].with.url</c>) to where their values start in the text as it
/// was written, so an editor can show each problem at its line. YAML and JSON are both read with the YAML parser (JSON
/// is YAML's flow style); text that cannot be read maps nothing (its problem names the line in its message).
/// </summary>
public sealed class SourceLines
{
    private readonly Dictionary<string, SourcePosition> _positions;

    private SourceLines(Dictionary<string, SourcePosition> positions) => _positions = positions;

    /// <summary>Reads <paramref name="text"/> and records the position of every value by its JSON path.</summary>
    public static SourceLines Map(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var positions = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<DocumentStart>(out _))
            {
                parser.Consume<DocumentStart>();
                ReadNode(parser, Validation.JsonPath.Root, positions);
            }
        }
        catch (YamlException)
        {
            // Keep what was mapped before the text broke: problems before that point still get their lines.
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet throws this for some unfinished documents; the same as above.
        }

        return new SourceLines(positions);
    }

    /// <summary>
    /// The position of <paramref name="path"/>, or of its nearest ancestor that the text has (a missing
    /// <c>with.url</c> is shown at <c>with</c>); null when not even the root was read.
    /// </summary>
    public SourcePosition? Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = path;
        while (true)
        {
            if (_positions.TryGetValue(current, out var position))
            {
                return position;
            }

            var cut = Math.Max(current.LastIndexOf('.'), current.LastIndexOf('['));
            if (cut <= 0)
            {
                return null;
            }

            current = current[..cut];
        }
    }

    private static void ReadNode(IParser parser, string path, Dictionary<string, SourcePosition> positions)
    {
        var start = parser.Current!.Start;
        positions.TryAdd(path, new SourcePosition((int)start.Line, (int)start.Column));
        if (parser.TryConsume<MappingStart>(out _))
        {
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!.Start;
                if (parser.TryConsume<Scalar>(out var key))
                {
                    var child = Validation.JsonPath.Property(path, key.Value);
                    // The key's line is the value's line for a user: a block value starts on the next line.
                    positions.TryAdd(child, new SourcePosition((int)keyStart.Line, (int)keyStart.Column));
                    ReadNode(parser, child, positions);
                }
                else
                {
                    // A complex key (rare in a workflow): map neither it nor its value below a path.
                    SkipNode(parser);
                    SkipNode(parser);
                }
            }
        }
        else if (parser.TryConsume<SequenceStart>(out _))
        {
            var index = 0;
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                ReadNode(parser, Validation.JsonPath.Item(path, index++), positions);
            }
        }
        else
        {
            // Scalar or alias.
            parser.MoveNext();
        }
    }

    private static void SkipNode(IParser parser) => parser.SkipThisAndNestedEvents();
}
