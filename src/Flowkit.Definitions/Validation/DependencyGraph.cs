using System.Globalization;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Validation;

/// <summary>
/// The edges the ordering rules of CONTRACT.md section 1 give, and the checks that need all of them:
/// unknown ids in needs/then/else and in <c>steps.&lt;id&gt;</c> reads, cycles (named), steps that can never run,
/// and reads of steps that are not upstream. Kahn's algorithm finds whether there is a cycle in linear time;
/// only when there is one does Tarjan's algorithm group the stuck steps to name each circle.
/// </summary>
internal sealed class DependencyGraph
{
    private readonly IReadOnlyList<StepDraft> _steps;
    private readonly ProblemCollector _problems;
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly List<Edge>[] _incoming;
    private readonly List<Edge>[] _outgoing;
    private readonly List<int>[] _references;
    private readonly List<int> _order = [];
    private readonly bool[] _ordered;

    private DependencyGraph(IReadOnlyList<StepDraft> steps, ProblemCollector problems)
    {
        _steps = steps;
        _problems = problems;
        _incoming = new List<Edge>[steps.Count];
        _outgoing = new List<Edge>[steps.Count];
        _references = new List<int>[steps.Count];
        _ordered = new bool[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            _incoming[i] = [];
            _outgoing[i] = [];
            _references[i] = [];
            if (steps[i].Id is { } id)
            {
                _byId.TryAdd(id, i);
            }
        }
    }

    /// <summary>An edge: <see cref="To"/> waits for <see cref="From"/> (on a branch when <see cref="Branch"/> is set).</summary>
    internal readonly record struct Edge(int From, int To, bool? Branch, string Path);

    public static DependencyGraph Analyze(IReadOnlyList<StepDraft> steps, ProblemCollector problems)
    {
        var graph = new DependencyGraph(steps, problems);
        graph.BuildEdges();
        problems.CancellationToken.ThrowIfCancellationRequested();
        var stuck = graph.FindStuck();
        if (stuck.Count > 0)
        {
            graph.ReportStuck(stuck);
        }

        problems.CancellationToken.ThrowIfCancellationRequested();
        graph.CheckReads();
        if (problems.Quotas && stuck.Count == 0)
        {
            graph.CheckFanOut();
        }

        return graph;
    }

    /// <summary>The needs of a step: its explicit (or implicit) needs first, then the branches it is on, by condition order.</summary>
    public IReadOnlyList<Need> Needs(int index) =>
        _incoming[index].Select(e => new Need(_steps[e.From].Id!, e.Branch)).ToArray();

    /// <summary>Ids of the steps with an edge from this one, in document order.</summary>
    public IReadOnlyList<string> Dependents(int index)
    {
        var result = new List<string>();
        foreach (var edge in _outgoing[index])
        {
            var id = _steps[edge.To].Id!;
            if (result.Count == 0 || result[^1] != id)
            {
                result.Add(id);
            }
        }

        return result;
    }

    /// <summary>Ids of the steps whose outputs this step's expressions read, in document order.</summary>
    public IReadOnlyList<string> References(int index) => _references[index].Select(i => _steps[i].Id!).ToArray();

    private void BuildEdges()
    {
        var branches = new List<Edge>[_steps.Count];
        var onBranch = new bool[_steps.Count];
        foreach (var condition in _steps.Where(s => s.Type == StepTypes.Condition))
        {
            var then = new HashSet<int>();
            foreach (var target in condition.Then)
            {
                if (ResolveBranch(condition, target, "then") is { } to)
                {
                    then.Add(to);
                    (branches[to] ??= []).Add(new Edge(condition.Index, to, true, target.Path));
                    onBranch[to] = true;
                }
            }

            foreach (var target in condition.Else)
            {
                if (ResolveBranch(condition, target, "else") is not { } to)
                {
                    continue;
                }

                if (then.Contains(to))
                {
                    Error(target.Path, $"Step '{target.Id}' is in both then and else of condition {condition.Name}; a step can be on only one branch of a condition. (A step after the condition without 'needs' runs on both.)");
                    continue;
                }

                (branches[to] ??= []).Add(new Edge(condition.Index, to, false, target.Path));
                onBranch[to] = true;
            }
        }

        foreach (var step in _steps)
        {
            var edges = _incoming[step.Index];
            if (step.Needs is { } needs)
            {
                foreach (var need in needs)
                {
                    if (Resolve(need, step, "needs") is not { } from)
                    {
                        continue;
                    }

                    if (from == step.Index)
                    {
                        Error(need.Path, $"Step {step.Name} cannot need itself.");
                        continue;
                    }

                    if (branches[step.Index]?.Any(b => b.From == from) == true)
                    {
                        // On a branch of this condition and naming it in needs too: both say "after the condition, on
                        // this branch" (issue #12). The branch edge stands for both; a plain edge would run it on either.
                        continue;
                    }

                    edges.Add(new Edge(from, step.Index, null, need.Path));
                }
            }
            else if (step.Index > 0 && !onBranch[step.Index])
            {
                // No needs written: the step follows the one listed before it.
                edges.Add(new Edge(step.Index - 1, step.Index, null, step.Path));
            }

            if (branches[step.Index] is { } branchEdges)
            {
                edges.AddRange(branchEdges);
            }
        }

        foreach (var edges in _incoming)
        {
            foreach (var edge in edges)
            {
                _outgoing[edge.From].Add(edge);
            }
        }
    }

    private int? Resolve(StepReference reference, StepDraft step, string where)
    {
        if (_byId.TryGetValue(reference.Id, out var index))
        {
            return index;
        }

        Error(reference.Path, $"Step {step.Name} {(where == "needs" ? "needs" : "lists")} '{reference.Id}', but there is no step with that id.{_problems.DidYouMean(reference.Id, _byId.Keys)}");
        return null;
    }

    private int? ResolveBranch(StepDraft condition, StepReference target, string branch)
    {
        if (!_byId.TryGetValue(target.Id, out var index))
        {
            Error(target.Path, $"Condition {condition.Name} lists '{target.Id}' in {branch}, but there is no step with that id.{_problems.DidYouMean(target.Id, _byId.Keys)}");
            return null;
        }

        if (index == condition.Index)
        {
            Error(target.Path, $"Condition {condition.Name} cannot list itself in {branch}.");
            return null;
        }

        return index;
    }

    /// <summary>Kahn's algorithm: the steps left with unfinished needs are exactly those that can never start.</summary>
    private List<int> FindStuck()
    {
        var waiting = new int[_steps.Count];
        var ready = new Queue<int>();
        for (var i = 0; i < _steps.Count; i++)
        {
            waiting[i] = _incoming[i].Count;
            if (waiting[i] == 0)
            {
                ready.Enqueue(i);
            }
        }

        while (ready.Count > 0)
        {
            var next = ready.Dequeue();
            _order.Add(next);
            _ordered[next] = true;
            foreach (var edge in _outgoing[next])
            {
                if (--waiting[edge.To] == 0)
                {
                    ready.Enqueue(edge.To);
                }
            }
        }

        var stuck = new List<int>();
        for (var i = 0; i < _steps.Count; i++)
        {
            if (waiting[i] > 0)
            {
                stuck.Add(i);
            }
        }

        return stuck;
    }

    private void ReportStuck(List<int> stuck)
    {
        var isStuck = new bool[_steps.Count];
        foreach (var i in stuck)
        {
            isStuck[i] = true;
        }

        var circles = StronglyConnected(stuck, isStuck).Where(c => c.Count > 1).OrderBy(c => c.Min()).ToList();
        var circleOf = new int[_steps.Count];
        Array.Fill(circleOf, -1);
        var descriptions = new List<string>();
        foreach (var circle in circles)
        {
            foreach (var member in circle)
            {
                circleOf[member] = descriptions.Count;
            }

            var (path, closing) = CyclePath(circle.Min(), circleOf, descriptions.Count);
            var text = Describe(path);
            descriptions.Add(text);
            Error(closing.Path, $"These steps wait for each other in a circle, so none of them can ever start: {text} (each step waits for the one before it). Remove one of these dependencies.");
        }

        // Every other stuck step waits, directly or through others, for a circle: name the first one it meets.
        var blockedBy = new int[_steps.Count];
        Array.Fill(blockedBy, -1);
        var frontier = new Queue<int>();
        foreach (var circle in circles)
        {
            foreach (var member in circle.Order())
            {
                frontier.Enqueue(member);
            }
        }

        while (frontier.Count > 0)
        {
            var from = frontier.Dequeue();
            var circle = circleOf[from] >= 0 ? circleOf[from] : blockedBy[from];
            foreach (var edge in _outgoing[from])
            {
                if (circleOf[edge.To] < 0 && blockedBy[edge.To] < 0)
                {
                    blockedBy[edge.To] = circle;
                    frontier.Enqueue(edge.To);
                }
            }
        }

        foreach (var i in stuck.Where(i => circleOf[i] < 0 && blockedBy[i] >= 0))
        {
            Error(_steps[i].Path, $"Step {_steps[i].Name} can never run: it waits, directly or through other steps, for steps caught in the circle {descriptions[blockedBy[i]]}.");
        }
    }

    /// <summary>"a -> b -> c -> a"; a long circle shows its first and last steps and how many are between.</summary>
    private string Describe(List<int> path)
    {
        const int shown = 5;
        var names = path.Select(i => _steps[i].Id ?? $"step {i + 1}").ToList();
        if (names.Count > (2 * shown) + 2)
        {
            var hidden = names.Count - (2 * shown);
            names = [.. names.Take(shown), $"({hidden} more)", .. names.TakeLast(shown)];
        }

        return string.Join(" -> ", names);
    }

    /// <summary>The shortest way round the circle from <paramref name="start"/>, and the edge that closes it.</summary>
    private (List<int> Path, Edge Closing) CyclePath(int start, int[] circleOf, int circle)
    {
        var via = new Dictionary<int, Edge>();
        var frontier = new Queue<int>();
        frontier.Enqueue(start);
        while (frontier.Count > 0)
        {
            var from = frontier.Dequeue();
            foreach (var edge in _outgoing[from])
            {
                if (circleOf[edge.To] != circle)
                {
                    continue;
                }

                if (edge.To == start)
                {
                    var path = new List<int> { start };
                    for (var at = from; at != start; at = via[at].From)
                    {
                        path.Add(at);
                    }

                    path.Add(start);
                    path.Reverse(1, path.Count - 2);
                    return (path, edge);
                }

                if (edge.To != start && via.TryAdd(edge.To, edge))
                {
                    frontier.Enqueue(edge.To);
                }
            }
        }

        throw new InvalidOperationException("A strongly connected group of steps has no cycle through its first step.");
    }

    /// <summary>Tarjan's strongly connected components over the stuck steps, without recursion (definitions can be long).</summary>
    private List<List<int>> StronglyConnected(List<int> nodes, bool[] include)
    {
        var order = new int[_steps.Count];
        var low = new int[_steps.Count];
        Array.Fill(order, -1);
        var onStack = new bool[_steps.Count];
        var stack = new Stack<int>();
        var work = new Stack<(int Node, int Next)>();
        var components = new List<List<int>>();
        var counter = 0;
        foreach (var root in nodes)
        {
            if (order[root] >= 0)
            {
                continue;
            }

            Visit(root);
            while (work.Count > 0)
            {
                var (node, next) = work.Pop();
                var edges = _outgoing[node];
                var descended = false;
                while (next < edges.Count)
                {
                    var to = edges[next++].To;
                    if (!include[to])
                    {
                        continue;
                    }

                    if (order[to] < 0)
                    {
                        work.Push((node, next));
                        Visit(to);
                        descended = true;
                        break;
                    }

                    if (onStack[to])
                    {
                        low[node] = Math.Min(low[node], order[to]);
                    }
                }

                if (descended)
                {
                    continue;
                }

                if (low[node] == order[node])
                {
                    var component = new List<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != node);
                    components.Add(component);
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
            }
        }

        return components;

        void Visit(int node)
        {
            order[node] = low[node] = counter++;
            stack.Push(node);
            onStack[node] = true;
            work.Push((node, 0));
        }
    }

    private void CheckReads()
    {
        CheckCallbackReads();
        if (!_steps.Any(s => s.Reads.Count > 0))
        {
            return;
        }

        var upstream = new Upstream(this);
        foreach (var step in _steps.Where(s => s.Reads.Count > 0))
        {
            var references = new SortedSet<int>();
            foreach (var read in step.Reads)
            {
                if (!_byId.TryGetValue(read.Id, out var target))
                {
                    Error(read.Path, $"Step {step.Name} reads steps.{read.Id}, but there is no step with that id.{_problems.DidYouMean(read.Id, _byId.Keys)}");
                    continue;
                }

                if (target == step.Index)
                {
                    Error(read.Path, $"Step {step.Name} reads its own output (steps.{read.Id}); a step can only read the outputs of steps that finished before it.");
                    continue;
                }

                // A step stuck behind a circle is reported already; whether it would wait for the target is moot.
                if (upstream.Knows(step.Index) && !upstream.IsUpstream(target, step.Index))
                {
                    Error(read.Path, $"Step {step.Name} reads steps.{read.Id}, but it does not wait for '{read.Id}', so that output may not exist yet. Add '{read.Id}' to its needs, or move it after '{read.Id}'.");
                    continue;
                }

                references.Add(target);
            }

            _references[step.Index].AddRange(references);
        }
    }

    /// <summary><c>steps.x.callbackUrl</c> needs no ordering (the URL exists from the run's start), only a callback step x.</summary>
    private void CheckCallbackReads()
    {
        foreach (var step in _steps)
        {
            foreach (var read in step.CallbackReads)
            {
                if (!_byId.TryGetValue(read.Id, out var target))
                {
                    Error(read.Path, $"Step {step.Name} reads steps.{read.Id}.callbackUrl, but there is no step with that id.{_problems.DidYouMean(read.Id, _byId.Keys)}");
                }
                else if (_steps[target].Type is { } type && type != StepTypes.Callback)
                {
                    Error(read.Path, $"Step {step.Name} reads steps.{read.Id}.callbackUrl, but '{read.Id}' is a {type} step; only callback steps have a callbackUrl.");
                }
            }
        }
    }

    private void Error(string path, string message) => _problems.Add(path, message);

    /// <summary>
    /// Fan-out width: the steps at one depth (longest chain of needs from a root) can all be ready at the same moment,
    /// so the widest depth is how many steps one run can start at once. Linear in steps and edges.
    /// </summary>
    private void CheckFanOut()
    {
        var depth = new int[_steps.Count];
        var width = new Dictionary<int, int>();
        var widest = -1;
        foreach (var step in _order)
        {
            foreach (var edge in _incoming[step])
            {
                depth[step] = Math.Max(depth[step], depth[edge.From] + 1);
            }

            var count = width[depth[step]] = width.GetValueOrDefault(depth[step]) + 1;
            if (count > _problems.Limits.MaxFanOut)
            {
                widest = depth[step];
                break;
            }
        }

        if (widest < 0)
        {
            return;
        }

        var first = _order.First(i => depth[i] == widest);
        var where = widest == 0 ? "start the run (they need nothing)" : $"are {widest} step(s) after the start, like {_steps[first].Name}";
        Error("$.steps", $"More than {_problems.Limits.MaxFanOut.ToString("N0", CultureInfo.InvariantCulture)} steps can start at the same moment: those that {where}. At most {_problems.Limits.MaxFanOut.ToString("N0", CultureInfo.InvariantCulture)} may run in parallel (setting Flowkit:Limits:MaxFanOut); chain some of them with needs or split the workflow.");
    }

    /// <summary>
    /// Which steps a step waits for, directly or through others. Up to <see cref="MaxBitSetSteps"/> steps
    /// every step gets a bit set of its ancestors, built once in topological order (so "every step reads
    /// the first one" stays linear); beyond that each question walks the needs backwards.
    /// </summary>
    private sealed class Upstream
    {
        private const int MaxBitSetSteps = 8_192;

        private readonly DependencyGraph _graph;
        private readonly ulong[]?[]? _ancestors;
        private readonly int[] _seen;
        private int _stamp;

        public Upstream(DependencyGraph graph)
        {
            _graph = graph;
            _seen = new int[graph._steps.Count];
            if (graph._steps.Count > MaxBitSetSteps)
            {
                return;
            }

            var words = (graph._steps.Count + 63) / 64;
            _ancestors = new ulong[]?[graph._steps.Count];
            foreach (var step in graph._order)
            {
                var bits = new ulong[words];
                foreach (var edge in graph._incoming[step])
                {
                    var from = _ancestors[edge.From]!;
                    for (var w = 0; w < words; w++)
                    {
                        bits[w] |= from[w];
                    }

                    bits[edge.From / 64] |= 1UL << (edge.From % 64);
                }

                _ancestors[step] = bits;
            }
        }

        /// <summary>False for steps that can never start (they have no place in the order).</summary>
        public bool Knows(int step) => _graph._ordered[step];

        public bool IsUpstream(int ancestor, int step)
        {
            if (_ancestors is not null)
            {
                return (_ancestors[step]![ancestor / 64] & (1UL << (ancestor % 64))) != 0;
            }

            _stamp++;
            var frontier = new Stack<int>();
            frontier.Push(step);
            while (frontier.Count > 0)
            {
                foreach (var edge in _graph._incoming[frontier.Pop()])
                {
                    if (edge.From == ancestor)
                    {
                        return true;
                    }

                    if (_seen[edge.From] != _stamp)
                    {
                        _seen[edge.From] = _stamp;
                        frontier.Push(edge.From);
                    }
                }
            }

            return false;
        }
    }

}
