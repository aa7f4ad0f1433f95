using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Flowkit.Definitions.Reading;

/// <summary>
/// Reads one YAML document into JSON with the YAML 1.2 core schema: unquoted <c>true</c>/<c>false</c>,
/// <c>null</c>/<c>~</c>/nothing and numbers keep their type, everything else is text (so <c>yes</c>, <c>on</c>,
/// <c>09:00</c> and <c>2024-01-01</c> stay text). Anchors and aliases are expanded; duplicate keys are kept
/// for the validator to report with their path.
/// </summary>
internal static partial class YamlDocumentReader
{
    private const string StringTag = "tag:yaml.org,2002:str";

    public static JsonDocument Read(string text)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                throw new DocumentFormatException("The document is empty. Write the workflow as YAML with a name and steps.");
            }

            parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, Node?>(StringComparer.Ordinal);
            var root = ReadNode(parser, anchors, 0);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var next = parser.Current;
                throw new DocumentFormatException(
                    $"The YAML has more than one document (a second one starts at line {next?.Start.Line}). Put one workflow in each document.");
            }

            return ToJson(root);
        }
        catch (YamlException e)
        {
            var message = e.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            throw new DocumentFormatException($"The YAML cannot be read at line {e.Start.Line}, column {e.Start.Column}: {message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this for some unfinished documents (an unclosed [ or { at the end).
            var at = parser.Current?.Start;
            throw new DocumentFormatException(
                $"The YAML cannot be read after line {at?.Line}, column {at?.Column}: it ends before a list or mapping that starts there is closed.", e);
        }
    }

    private static Node ReadNode(IParser parser, Dictionary<string, Node?> anchors, int depth)
    {
        if (depth > DocumentLimits.MaxDepth)
        {
            throw new DocumentFormatException($"The YAML is nested more than {DocumentLimits.MaxDepth} levels deep.");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new DocumentFormatException($"The YAML uses *{alias.Value.Value} at line {alias.Start.Line}, but no &{alias.Value.Value} comes before it.");
            }

            return target ?? throw new DocumentFormatException(
                $"The YAML alias *{alias.Value.Value} at line {alias.Start.Line} refers to a value that contains it.");
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            var node = new Node(Resolve(scalar));
            Remember(anchors, scalar.Anchor, node);
            return node;
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            Remember(anchors, sequenceStart.Anchor, null);
            var items = new List<Node>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, depth + 1));
            }

            var node = new Node(items);
            Remember(anchors, sequenceStart.Anchor, node);
            return node;
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            Remember(anchors, mappingStart.Anchor, null);
            var entries = new List<KeyValuePair<string, Node>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                if (!parser.TryConsume<Scalar>(out var key))
                {
                    var at = parser.Current?.Start.Line;
                    throw new DocumentFormatException($"The YAML at line {at} uses a list or mapping as a key; keys must be plain text.");
                }

                entries.Add(new(key.Value, ReadNode(parser, anchors, depth + 1)));
            }

            var node = new Node(entries);
            Remember(anchors, mappingStart.Anchor, node);
            return node;
        }

        var current = parser.Current;
        throw new DocumentFormatException($"The YAML has something unexpected at line {current?.Start.Line}, column {current?.Start.Column}.");
    }

    private static void Remember(Dictionary<string, Node?> anchors, AnchorName anchor, Node? node)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }
    }

    private static ScalarValue Resolve(Scalar scalar)
    {
        var value = scalar.Value;
        var tagged = !scalar.Tag.IsEmpty;
        if (scalar.Style != ScalarStyle.Plain || (tagged && (scalar.Tag.Value == StringTag || scalar.Tag.Value == "!")))
        {
            return new ScalarValue(JsonValueKind.String, value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return new ScalarValue(JsonValueKind.Null, value);
            case "true" or "True" or "TRUE":
                return new ScalarValue(JsonValueKind.True, value);
            case "false" or "False" or "FALSE":
                return new ScalarValue(JsonValueKind.False, value);
        }

        if (IntegerPattern().IsMatch(value) || FloatPattern().IsMatch(value))
        {
            return new ScalarValue(JsonValueKind.Number, value);
        }

        if (value.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return new ScalarValue(JsonValueKind.Number, hex.ToString(CultureInfo.InvariantCulture));
        }

        if (value.StartsWith("0o", StringComparison.Ordinal) && value.Length > 2 && value.Skip(2).All(c => c is >= '0' and <= '7'))
        {
            try
            {
                return new ScalarValue(JsonValueKind.Number, Convert.ToInt64(value[2..], 8).ToString(CultureInfo.InvariantCulture));
            }
            catch (OverflowException)
            {
                // Too big for a number: keep it as text.
            }
        }

        return new ScalarValue(JsonValueKind.String, value);
    }

    private static JsonDocument ToJson(Node root)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            var written = 0;
            Write(writer, root, ref written);
        }

        return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = DocumentLimits.MaxDepth + 2 });
    }

    private static void Write(Utf8JsonWriter writer, Node node, ref int written)
    {
        if (++written > DocumentLimits.MaxValues)
        {
            throw new DocumentFormatException($"The YAML expands to more than {DocumentLimits.MaxValues:N0} values (too many aliases?).");
        }

        if (node.Entries is { } entries)
        {
            writer.WriteStartObject();
            foreach (var (key, value) in entries)
            {
                writer.WritePropertyName(key);
                Write(writer, value, ref written);
            }

            writer.WriteEndObject();
            return;
        }

        if (node.Items is { } items)
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                Write(writer, item, ref written);
            }

            writer.WriteEndArray();
            return;
        }

        var scalar = node.Scalar;
        switch (scalar.Kind)
        {
            case JsonValueKind.Null:
                writer.WriteNullValue();
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, scalar.Text);
                break;
            default:
                writer.WriteStringValue(scalar.Text);
                break;
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string text)
    {
        var trimmed = text.StartsWith('+') ? text[1..] : text;
        if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            writer.WriteNumberValue(whole);
        }
        else if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    private readonly record struct ScalarValue(JsonValueKind Kind, string Text);

    private sealed class Node
    {
        public Node(ScalarValue scalar) => Scalar = scalar;

        public Node(List<Node> items) => Items = items;

        public Node(List<KeyValuePair<string, Node>> entries) => Entries = entries;

        public ScalarValue Scalar { get; }

        public List<Node>? Items { get; }

        public List<KeyValuePair<string, Node>>? Entries { get; }
    }
}
