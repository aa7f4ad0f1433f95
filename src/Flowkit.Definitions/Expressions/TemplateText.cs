namespace Flowkit.Definitions.Expressions;

/// <summary>
/// A string split into literal text and <c>{{ expression }}</c> parts. An expression ends at the first
/// <c>}}</c> after which its text parses, so object literals like <c>{{ {a: {b: 1}} }}</c> work; a string
/// that is one <c>{{ }}</c> and nothing else (surrounding spaces aside) keeps the value's JSON type.
/// </summary>
internal sealed class TemplateText
{
    private const string Open = "{{";
    private const string Close = "}}";

    private TemplateText(IReadOnlyList<TemplatePart> parts, bool isSingleExpression, string? error)
    {
        Parts = parts;
        IsSingleExpression = isSingleExpression;
        Error = error;
    }

    public IReadOnlyList<TemplatePart> Parts { get; }

    public bool IsSingleExpression { get; }

    /// <summary>The first structural or parse problem, in plain words; null when every part is fine.</summary>
    public string? Error { get; }

    public IEnumerable<ParsedCode> Expressions => Parts.Where(p => p.Expression is not null).Select(p => p.Expression!);

    public static bool HasTemplate(string text) => text.Contains(Open, StringComparison.Ordinal);

    public static TemplateText Parse(string text, Func<string, ParsedCode> parse)
    {
        var parts = new List<TemplatePart>();
        string? error = null;
        var position = 0;
        while (position < text.Length)
        {
            var open = text.IndexOf(Open, position, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new TemplatePart(text[position..], null));
                break;
            }

            if (open > position)
            {
                parts.Add(new TemplatePart(text[position..open], null));
            }

            var start = open + Open.Length;
            var close = text.IndexOf(Close, start, StringComparison.Ordinal);
            if (close < 0)
            {
                error ??= $"'{{{{' at character {open + 1} has no matching '}}}}'.";
                parts.Add(new TemplatePart(text[open..], null));
                break;
            }

            ParsedCode? chosen = null;
            var chosenClose = close;
            for (var candidate = close; candidate >= 0; candidate = text.IndexOf(Close, candidate + 1, StringComparison.Ordinal))
            {
                var inner = text[start..candidate].Trim();
                if (inner.Length == 0)
                {
                    break;
                }

                var parsed = parse(inner);
                if (parsed.Error is null)
                {
                    chosen = parsed;
                    chosenClose = candidate;
                    break;
                }

                // Keep the first candidate's error: it is the one a person most likely meant.
                chosen ??= parsed;
            }

            var source = text[open..(chosenClose + Close.Length)];
            if (chosen is null)
            {
                error ??= $"'{source}' is an empty expression; write something between '{{{{' and '}}}}'.";
            }
            else if (chosen.Error is not null)
            {
                error ??= $"The expression '{source}' cannot be read: {chosen.Error}.";
            }

            parts.Add(new TemplatePart(source, chosen));
            position = chosenClose + Close.Length;
        }

        var expressions = parts.Count(p => p.Expression is not null);
        var single = expressions == 1 && parts.All(p => p.Expression is not null || string.IsNullOrWhiteSpace(p.Literal));
        return new TemplateText(parts, single, error);
    }
}

/// <summary>Either literal text (<see cref="Expression"/> null) or an expression with its source <c>{{ ... }}</c>.</summary>
internal readonly record struct TemplatePart(string Literal, ParsedCode? Expression);
