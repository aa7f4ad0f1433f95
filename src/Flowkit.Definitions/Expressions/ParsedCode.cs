using Acornima;
using Acornima.Ast;
using Jint;

namespace Flowkit.Definitions.Expressions;

internal enum CodeKind
{
    Expression,
    Script,
}

/// <summary>
/// One expression or script body, parsed once: the parse error (if any), the steps it reads and the
/// Jint prepared script that runs it. Immutable and shared between threads and engines.
/// </summary>
internal sealed class ParsedCode
{
    // Prepared scripts are wrapped so that what was validated is exactly what runs: an expression
    // in parentheses (so "{a: 1}" is an object, not a block), a script body in a function (so "return"
    // works and its variables stay local). The wrapper starts on the code's first line so that line
    // numbers in runtime errors match the user's text.
    private const string ScriptPrefix = "(function () {";

    private static readonly ParserOptions ExpressionParserOptions = new();
    private static readonly ParserOptions ScriptParserOptions = new() { AllowReturnOutsideFunction = true };

    private ParsedCode(string text, CodeKind kind)
    {
        Text = text;
        Kind = kind;
    }

    public string Text { get; }

    public CodeKind Kind { get; }

    /// <summary>The parse error in plain words (with line and column), or null when it parses.</summary>
    public string? Error { get; private init; }

    /// <summary>Ids named as <c>steps.id</c> or <c>steps["id"]</c>, in order of first appearance.</summary>
    public IReadOnlyList<string> StepReferences { get; private init; } = [];

    /// <summary>
    /// Ids named as <c>steps.id.callbackUrl</c> only (a callback step's URL, readable by any step of the run from its
    /// start, so it is not a read of the step's output and needs no ordering).
    /// </summary>
    public IReadOnlyList<string> CallbackReferences { get; private init; } = [];

    /// <summary>True when the code reaches <c>steps</c> in a way that cannot be read statically (<c>steps[x]</c>, <c>eval</c>, ...).</summary>
    public bool ReadsStepsDynamically { get; private init; }

    public Prepared<Script> Prepared { get; private init; }

    public static ParsedCode Parse(string text, CodeKind kind)
    {
        Node root;
        try
        {
            root = kind == CodeKind.Expression
                ? new Parser(ExpressionParserOptions).ParseExpression(text, strict: true)
                : new Parser(ScriptParserOptions).ParseScript(text, strict: true);
        }
        catch (ParseErrorException e)
        {
            return new ParsedCode(text, kind) { Error = Describe(e, kind) };
        }

        var references = new List<string>();
        var callbacks = new List<string>();
        var dynamic = CollectStepReferences(root, references, callbacks);
        var wrapped = kind == CodeKind.Expression ? "(" + text + "\n)" : ScriptPrefix + text + "\n})()";
        Prepared<Script> prepared;
        try
        {
            prepared = Engine.PrepareScript(wrapped, strict: true);
        }
        catch (ScriptPreparationException e)
        {
            // Only reachable if the wrapper and the parser disagree; report it as a syntax problem rather than crash.
            return new ParsedCode(text, kind) { Error = e.Message };
        }

        return new ParsedCode(text, kind)
        {
            StepReferences = references,
            CallbackReferences = callbacks,
            ReadsStepsDynamically = dynamic,
            Prepared = prepared,
        };
    }

    private static string Describe(ParseErrorException e, CodeKind kind)
    {
        var what = e.Description ?? e.Message;
        // Acornima columns are 0-based; people count from 1.
        return kind == CodeKind.Expression
            ? $"{what} (at character {e.Column + 1})"
            : $"{what} (line {e.LineNumber}, column {e.Column + 1})";
    }

    private static bool CollectStepReferences(Node root, List<string> references, List<string> callbacks)
    {
        var dynamic = false;
        var pending = new Stack<Node>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            switch (node)
            {
                case MemberExpression
                {
                    Computed: false,
                    Property: Identifier { Name: "callbackUrl" },
                    Object: MemberExpression { Computed: false, Object: Identifier { Name: "steps" }, Property: Identifier step },
                }:
                    AddOnce(callbacks, step.Name);
                    continue;
                case MemberExpression { Object: Identifier { Name: "steps" } } member:
                    if (!member.Computed && member.Property is Identifier name)
                    {
                        AddOnce(references, name.Name);
                    }
                    else if (member.Computed && member.Property is StringLiteral literal)
                    {
                        AddOnce(references, literal.Value);
                    }
                    else
                    {
                        dynamic = true;
                        pending.Push(member.Property);
                    }

                    continue;
                case MemberExpression { Computed: false } member:
                    // "x.steps" names a property, not the steps variable.
                    pending.Push(member.Object);
                    continue;
                case Identifier { Name: "steps" or "eval" or "Function" or "globalThis" }:
                case ThisExpression:
                    dynamic = true;
                    continue;
            }

            foreach (var child in node.ChildNodes)
            {
                if (child is not null)
                {
                    pending.Push(child);
                }
            }
        }

        return dynamic;
    }

    private static void AddOnce(List<string> list, string value)
    {
        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }
}
