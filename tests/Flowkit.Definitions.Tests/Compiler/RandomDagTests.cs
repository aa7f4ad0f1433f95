using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>
/// Property-style checks over generated definitions (a fixed seed, so failures reproduce): the compiler
/// accepts exactly the acyclic ones, never accepts a cycle, and its plan has exactly the edges the ordering
/// rules give, each pointing at an existing step, with no cycle.
/// </summary>
public sealed partial class RandomDagTests
{
    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 500; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Compile_RandomDefinition_AcceptsExactlyTheAcyclicOnesWithTheRuleEdges(int seed)
    {
        var generated = Generate(new Random(seed));
        var expected = ExpectedNeeds(generated);
        var hasCycle = HasCycle(expected);

        var compilation = Definitions.Json(generated.Json);

        if (hasCycle)
        {
            compilation.IsValid.Should().BeFalse();
            compilation.Plan.Should().BeNull();
            compilation.Errors.Should().Contain(e => e.Message.Contains("in a circle", StringComparison.Ordinal));
            foreach (var error in compilation.Errors.Where(e => e.Message.Contains("in a circle", StringComparison.Ordinal)))
            {
                NamedCycleFollowsEdges(error.Message, expected);
            }

            return;
        }

        compilation.Errors.Should().BeEmpty();
        var plan = compilation.Plan!;
        plan.Steps.Select(s => s.Id).Should().Equal(generated.Steps.Select(s => s.Id));
        foreach (var step in plan.Steps)
        {
            step.Needs.Select(n => (n.StepId, n.Branch)).Should().Equal(expected[step.Index], $"step {step.Id} of seed {seed}");
            step.Needs.Should().OnlyContain(n => plan.Steps.Any(s => s.Id == n.StepId));
            step.Dependents.Should().Equal(plan.Steps.Where(s => s.Needs.Any(n => n.StepId == step.Id)).Select(s => s.Id));
        }

        IsAcyclic(plan).Should().BeTrue();
        plan.Roots.Should().OnlyContain(r => r.Needs.Count == 0);
    }

    [Fact]
    public void Generate_FiveHundredSeeds_GivesBothAcyclicAndCyclicDefinitions()
    {
        var cyclic = Enumerable.Range(1, 500).Count(seed => HasCycle(ExpectedNeeds(Generate(new Random(seed)))));

        cyclic.Should().BeInRange(50, 450, "the property test should exercise both outcomes");
    }

    private static bool IsAcyclic(Sagas.Planning.RunPlan plan)
    {
        var waiting = plan.Steps.ToDictionary(s => s.Id, s => s.Needs.Count);
        var ready = new Queue<string>(plan.Roots.Select(r => r.Id));
        var done = 0;
        while (ready.Count > 0)
        {
            var id = ready.Dequeue();
            done++;
            foreach (var dependent in plan[id].Dependents)
            {
                waiting[dependent] -= plan[dependent].Needs.Count(n => n.StepId == id);
                if (waiting[dependent] == 0)
                {
                    ready.Enqueue(dependent);
                }
            }
        }

        return done == plan.Steps.Count;
    }

    private static void NamedCycleFollowsEdges(string message, List<(string Id, bool? Branch)>[] needs)
    {
        var named = CyclePattern().Match(message).Groups["path"].Value.Split(" -> ");
        named[0].Should().Be(named[^1]);
        for (var i = 0; i + 1 < named.Length; i++)
        {
            if (named[i].StartsWith('(') || named[i + 1].StartsWith('('))
            {
                continue; // "(n more)" stands for steps left out of a long circle.
            }

            var to = int.Parse(named[i + 1].AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            needs[to].Should().Contain(n => n.Id == named[i], $"{named[i + 1]} should wait for {named[i]} in \"{message}\"");
        }
    }

    /// <summary>The ordering rules, written independently of the compiler.</summary>
    private static List<(string Id, bool? Branch)>[] ExpectedNeeds(Generated generated)
    {
        var steps = generated.Steps;
        var onBranch = steps.SelectMany(s => s.Then.Concat(s.Else)).ToHashSet();
        var result = new List<(string Id, bool? Branch)>[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            var needs = new List<(string Id, bool? Branch)>();
            if (steps[i].Needs is { } explicitNeeds)
            {
                needs.AddRange(explicitNeeds.Select(n => (n, (bool?)null)));
            }
            else if (i > 0 && !onBranch.Contains(steps[i].Id))
            {
                needs.Add((steps[i - 1].Id, null));
            }

            foreach (var condition in steps)
            {
                if (condition.Then.Contains(steps[i].Id))
                {
                    needs.Add((condition.Id, true));
                }

                if (condition.Else.Contains(steps[i].Id))
                {
                    needs.Add((condition.Id, false));
                }
            }

            result[i] = needs;
        }

        return result;
    }

    private static bool HasCycle(List<(string Id, bool? Branch)>[] needs)
    {
        // 0 = unvisited, 1 = on the current path, 2 = finished.
        var state = new int[needs.Length];
        return Enumerable.Range(0, needs.Length).Any(Visit);

        bool Visit(int node)
        {
            if (state[node] != 0)
            {
                return state[node] == 1;
            }

            state[node] = 1;
            foreach (var (id, _) in needs[node])
            {
                if (Visit(int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)))
                {
                    return true;
                }
            }

            state[node] = 2;
            return false;
        }
    }

    private static Generated Generate(Random random)
    {
        var count = random.Next(1, 31);
        var steps = Enumerable.Range(0, count).Select(i => new GeneratedStep($"s{i}")).ToList();
        foreach (var step in steps)
        {
            var index = steps.IndexOf(step);
            var mode = random.Next(10);
            if (mode < 3)
            {
                continue; // no needs: follows the previous step
            }

            if (mode == 3)
            {
                step.Needs = [];
                continue;
            }

            // Mostly earlier steps (so most definitions are valid), sometimes any step (so some have cycles).
            var needs = new List<string>();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                var other = random.Next(20) == 0 || index == 0 ? random.Next(count) : random.Next(index);
                if (other != index && !needs.Contains(steps[other].Id))
                {
                    needs.Add(steps[other].Id);
                }
            }

            step.Needs = needs;
        }

        foreach (var condition in steps.Where(_ => random.Next(5) == 0))
        {
            condition.IsCondition = true;
            var index = steps.IndexOf(condition);
            for (var k = random.Next(0, 5); k > 0; k--)
            {
                var target = random.Next(10) == 0 ? random.Next(count) : Math.Min(count - 1, index + 1 + random.Next(3));
                var id = steps[target].Id;
                if (target == index || condition.Then.Contains(id) || condition.Else.Contains(id) || steps[target].Needs?.Contains(condition.Id) == true)
                {
                    continue;
                }

                (random.Next(2) == 0 ? condition.Then : condition.Else).Add(id);
            }
        }

        var json = JsonSerializer.Serialize(new
        {
            name = "random",
            steps = steps.Select(s => s.IsCondition
                ? (object)new Dictionary<string, object?> { ["id"] = s.Id, ["type"] = "condition", ["if"] = "input.flag", ["then"] = s.Then, ["else"] = s.Else, ["needs"] = s.Needs }
                    .Where(p => p.Value is not null).ToDictionary()
                : new Dictionary<string, object?> { ["id"] = s.Id, ["type"] = "transform", ["with"] = new { }, ["needs"] = s.Needs }
                    .Where(p => p.Value is not null).ToDictionary()),
        });
        return new Generated(steps, json);
    }

    [GeneratedRegex("can ever start: (?<path>.*) \\(each step", RegexOptions.CultureInvariant)]
    private static partial Regex CyclePattern();

    private sealed record Generated(List<GeneratedStep> Steps, string Json);

    private sealed class GeneratedStep(string id)
    {
        public string Id { get; } = id;

        public List<string>? Needs { get; set; }

        public bool IsCondition { get; set; }

        public List<string> Then { get; } = [];

        public List<string> Else { get; } = [];
    }
}
