using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests;

public sealed class RunSchedulerTests
{
    /// <summary>Drives a whole plan in memory: finishes every ready step with the given condition results.</summary>
    private static Dictionary<string, StepStatus> Simulate(RunPlan plan, IReadOnlyDictionary<string, bool>? conditions = null)
    {
        var counters = RunScheduler.Initial(plan).ToDictionary(c => c.StepId);
        var ready = new Queue<string>(plan.Roots.Select(r => r.Id));
        var status = plan.Steps.ToDictionary(s => s.Id, _ => StepStatus.Pending);
        var work = new Queue<(string Id, SourceOutcome Outcome, bool? Result)>();
        while (ready.Count > 0 || work.Count > 0)
        {
            while (ready.TryDequeue(out var id))
            {
                status[id] = StepStatus.Succeeded;
                work.Enqueue((id, SourceOutcome.Finished, conditions?.GetValueOrDefault(id)));
            }

            if (work.TryDequeue(out var item))
            {
                var dependents = plan[item.Id].Dependents.ToDictionary(d => d, d => counters[d] with { Status = status[d] });
                var propagation = RunScheduler.Propagate(plan, item.Id, item.Outcome, item.Result, dependents);
                foreach (var updated in propagation.Updated)
                {
                    counters[updated.StepId] = updated;
                }

                foreach (var skipped in propagation.Skipped)
                {
                    status[skipped] = StepStatus.Skipped;
                    work.Enqueue((skipped, SourceOutcome.Skipped, null));
                }

                foreach (var next in propagation.Ready)
                {
                    ready.Enqueue(next);
                }
            }
        }

        return status;
    }

    [Fact]
    public void Initial_StepsWithoutNeeds_AreRootsWithNoPendingNeeds()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Build();

        plan.Roots.Select(r => r.Id).Should().Equal("a");
        RunScheduler.Initial(plan).Should().Equal(
            new StepCounters("a", StepStatus.Pending, 0, 0),
            new StepCounters("b", StepStatus.Pending, 1, 0));
    }

    [Fact]
    public void Propagate_FanIn_ReadyOnlyAfterLastNeed()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b").Step("join", "a", "b").Build();
        var join = new StepCounters("join", StepStatus.Pending, 2, 0);

        var afterA = RunScheduler.Propagate(plan, "a", SourceOutcome.Finished, null, new Dictionary<string, StepCounters> { ["join"] = join });
        afterA.Ready.Should().BeEmpty();
        var afterB = RunScheduler.Propagate(plan, "b", SourceOutcome.Finished, null, new Dictionary<string, StepCounters> { ["join"] = afterA.Updated.Single() });

        afterB.Ready.Should().Equal("join");
        afterB.Updated.Single().Should().Be(new StepCounters("join", StepStatus.Pending, 0, 2));
    }

    [Theory]
    [InlineData(true, StepStatus.Succeeded, StepStatus.Skipped)]
    [InlineData(false, StepStatus.Skipped, StepStatus.Succeeded)]
    public void Simulate_Condition_RunsTakenBranchAndSkipsOther(bool result, StepStatus thenStatus, StepStatus elseStatus)
    {
        var plan = new RunPlanBuilder()
            .Condition("check")
            .Step("yes", [new Need("check", true)])
            .Step("no", [new Need("check", false)])
            .Build();

        var status = Simulate(plan, new Dictionary<string, bool> { ["check"] = result });

        status["yes"].Should().Be(thenStatus);
        status["no"].Should().Be(elseStatus);
    }

    [Fact]
    public void Simulate_SkippedBranch_PropagatesSkipToStepsThatNeedOnlyIt()
    {
        var plan = new RunPlanBuilder()
            .Condition("check")
            .Step("yes", [new Need("check", true)])
            .Step("after-yes", "yes")
            .Step("after-after", "after-yes")
            .Build();

        var status = Simulate(plan, new Dictionary<string, bool> { ["check"] = false });

        status.Should().Contain(new Dictionary<string, StepStatus>
        {
            ["yes"] = StepStatus.Skipped,
            ["after-yes"] = StepStatus.Skipped,
            ["after-after"] = StepStatus.Skipped,
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Simulate_JoinOfBothBranches_RunsWhicheverBranchWasTaken(bool result)
    {
        // CONTRACT.md's invoice example: pay needs approve (then branch) and is on the else branch itself.
        var plan = new RunPlanBuilder()
            .Condition("is_big")
            .Step("approve", [new Need("is_big", true)])
            .Step("pay", [new Need("approve"), new Need("is_big", false)])
            .Step("tell", "pay")
            .Build();

        var status = Simulate(plan, new Dictionary<string, bool> { ["is_big"] = result });

        status["approve"].Should().Be(result ? StepStatus.Succeeded : StepStatus.Skipped);
        status["pay"].Should().Be(StepStatus.Succeeded);
        status["tell"].Should().Be(StepStatus.Succeeded);
    }

    [Fact]
    public void Propagate_DependentAlreadyEnded_IsLeftAlone()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Build();

        var propagation = RunScheduler.Propagate(plan, "a", SourceOutcome.Finished, null,
            new Dictionary<string, StepCounters> { ["b"] = new("b", StepStatus.Cancelled, 1, 0) });

        propagation.Updated.Should().BeEmpty();
        propagation.Ready.Should().BeEmpty();
    }

    [Fact]
    public void Simulate_RandomDags_EveryStepEndsAndNoneRunsBeforeItsNeeds()
    {
        var random = new Random(20261123);
        for (var round = 0; round < 200; round++)
        {
            var count = random.Next(1, 40);
            var builder = new RunPlanBuilder();
            for (var i = 0; i < count; i++)
            {
                var needs = Enumerable.Range(0, i).Where(_ => random.NextDouble() < 0.15).Select(n => $"s{n}").ToArray();
                builder.Step($"s{i}", needs);
            }

            var status = Simulate(builder.Build());

            status.Values.Should().AllSatisfy(s => s.Should().Be(StepStatus.Succeeded), $"round {round}");
        }
    }
}
