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

    /// <summary>
    /// Reads <paramref name="text"/>; the size it expands to (aliases replaced by what they name) is counted while
    /// reading, so an alias bomb stops at <see cref="DefinitionLimits.MaxExpandedBytes"/> before it is built.
    /// </summary>
    public static JsonDocument Read(string text, DefinitionLimits limits, CancellationToken cancellationToken)
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
            var reading = new ReadState(parser, limits, cancellationToken);
            var root = reading.ReadNode(0, out _);
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

    /// <summary>The anchors seen so far and the running count of the expanded size.</summary>
    private sealed class ReadState(IParser parser, DefinitionLimits limits, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, Node?> _anchors = new(StringComparer.Ordinal);
        private long _expanded;

        /// <summary>
        /// Reads the node at <paramref name="depth"/>; <paramref name="nesting"/> is how deep aliases nest inside it
        /// (0 without aliases, 1 for an alias of a value without aliases, ...).
        /// </summary>
        public Node ReadNode(int depth, out int nesting)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nesting = 0;
            if (depth > DocumentLimits.MaxDepth)
            {
                throw new DocumentFormatException($"The YAML is nested more than {DocumentLimits.MaxDepth} levels deep.");
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                return ReadAlias(alias, depth, out nesting);
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                var node = new Node(Resolve(scalar));
                Count(node.Size);
                Remember(scalar.Anchor, node);
                return node;
            }

            if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                Remember(sequenceStart.Anchor, null);
                var items = new List<Node>();
                Count(2);
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    if (items.Count > 0)
                    {
                        Count(1);
                    }

                    items.Add(ReadNode(depth + 1, out var inner));
                    nesting = Math.Max(nesting, inner);
                }

                var node = new Node(items, nesting);
                Remember(sequenceStart.Anchor, node);
                return node;
            }

            if (parser.TryConsume<MappingStart>(out var mappingStart))
            {
                Remember(mappingStart.Anchor, null);
                var entries = new List<KeyValuePair<string, Node>>();
                Count(2);
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (!parser.TryConsume<Scalar>(out var key))
                    {
                        var at = parser.Current?.Start.Line;
                        throw new DocumentFormatException($"The YAML at line {at} uses a list or mapping as a key; keys must be plain text.");
                    }

                    // The key in quotes, a colon and, after the first entry, a comma.
                    Count(key.Value.Length + (entries.Count > 0 ? 4 : 3));
                    entries.Add(new(key.Value, ReadNode(depth + 1, out var inner)));
                    nesting = Math.Max(nesting, inner);
                }

                var node = new Node(entries, nesting);
                Remember(mappingStart.Anchor, node);
                return node;
            }

            var current = parser.Current;
            throw new DocumentFormatException($"The YAML has something unexpected at line {current?.Start.Line}, column {current?.Start.Column}.");
        }

        private Node ReadAlias(AnchorAlias alias, int depth, out int nesting)
        {
            if (!_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new DocumentFormatException($"The YAML uses *{alias.Value.Value} at line {alias.Start.Line}, but no &{alias.Value.Value} comes before it.");
            }

            if (target is null)
            {
                throw new DocumentFormatException($"The YAML alias *{alias.Value.Value} at line {alias.Start.Line} refers to a value that contains it.");
            }

            nesting = target.Nesting + 1;
            if (nesting > limits.MaxAliasNesting)
            {
                throw new DocumentFormatException(
                    $"The YAML alias *{alias.Value.Value} at line {alias.Start.Line} nests aliases {nesting} deep (an anchored value holding an alias of a value holding an alias...); at most {limits.MaxAliasNesting} are allowed (setting Flowkit:Limits:MaxAliasNesting).");
            }

            // What the alias stands for is written out in full where it is used: its depth adds to this one.
            if (depth + target.Height > DocumentLimits.MaxDepth)
            {
                throw new DocumentFormatException(
                    $"The YAML is nested more than {DocumentLimits.MaxDepth} levels deep once the alias *{alias.Value.Value} at line {alias.Start.Line} is replaced by what it names.");
            }

            Count(target.Size);
            return target;
        }

        private void Count(long bytes)
        {
            _expanded += bytes;
            if (_expanded > limits.MaxExpandedBytes)
            {
                throw new DocumentFormatException(
                    $"The YAML expands to more than {limits.MaxExpandedBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes once its aliases (*name) are replaced by what they name (setting Flowkit:Limits:MaxExpandedBytes). Use fewer aliases of large values.");
            }
        }

        private void Remember(AnchorName anchor, Node? node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }
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
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(root.Size + 16, 1 << 20));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            Write(writer, root);
        }

        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = DocumentLimits.MaxDepth + 2 });
        }
        catch (JsonException e)
        {
            // The reader's own depth checks should make this unreachable; a definition problem is still never a 500.
            throw new DocumentFormatException($"The YAML cannot be turned into JSON: {e.Message}", e);
        }
    }

    private static void Write(Utf8JsonWriter writer, Node node)
    {
        if (node.Entries is { } entries)
        {
            writer.WriteStartObject();
            foreach (var (key, value) in entries)
            {
                writer.WritePropertyName(key);
                Write(writer, value);
            }

            writer.WriteEndObject();
            return;
        }

        if (node.Items is { } items)
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                Write(writer, item);
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

    /// <summary>
    /// A value read from the YAML. Aliases share the node they name, so the tree in memory stays as small as the
    /// text; <see cref="Size"/> is what it takes written out in full.
    /// </summary>
    private sealed class Node
    {
        public Node(ScalarValue scalar)
        {
            Scalar = scalar;
            Size = scalar.Text.Length + 2;
        }

        public Node(List<Node> items, int nesting)
        {
            Items = items;
            Nesting = nesting;
            Size = 2 + Math.Max(0, items.Count - 1);
            foreach (var item in items)
            {
                Size += item.Size;
                Height = Math.Max(Height, item.Height);
            }

            Height++;
        }

        public Node(List<KeyValuePair<string, Node>> entries, int nesting)
        {
            Entries = entries;
            Nesting = nesting;
            Size = 2 + Math.Max(0, entries.Count - 1);
            foreach (var (key, value) in entries)
            {
                Size += key.Length + 3 + value.Size;
                Height = Math.Max(Height, value.Height);
            }

            Height++;
        }

        public ScalarValue Scalar { get; }

        public List<Node>? Items { get; }

        public List<KeyValuePair<string, Node>>? Entries { get; }

        /// <summary>About the bytes of this value's JSON form, aliases written out.</summary>
        public long Size { get; }

        /// <summary>Levels of lists and mappings inside this value, itself included (0 for a scalar).</summary>
        public int Height { get; }

        /// <summary>How deep aliases nest inside this value.</summary>
        public int Nesting { get; }
    }
}
