using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>The ordering rules of CONTRACT.md section 1: how needs, document order and branches become edges.</summary>
public sealed class OrderingTests
{
    private const string Contract = """
        name: invoice-approval
        description: Pay large invoices only after a manager approves
        triggers:
          - webhook: { key: invoices, secret: "{{ secrets.billing_hook }}", dedupe: "body.id", limit: 50/s, overflow: reject }
          - cron: { expression: "0 0 9 ? * MON-FRI", timezone: "Asia/Seoul" }
        steps:
          - id: fetch
            type: http
            with: { method: GET, url: "http://billing.internal/invoices/{{ input.body.id }}" }
            retry: { attempts: 5, backoff: exponential, delay: 2s, maxDelay: 1m }
            timeout: 30s
          - id: is_big
            type: condition
            if: "steps.fetch.output.body.amount > 1000"
            then: [approve]
            else: [pay]
          - id: approve
            type: approval
            message: "Pay invoice {{ input.body.id }}?"
            timeout: 24h            # on expiry the step fails (treated as rejected)
          - id: pay
            type: http
            needs: [approve]        # runs once approve succeeds, or directly from the else branch
            with: { method: POST, url: "http://billing.internal/pay", body: { id: "{{ input.body.id }}" } }
          - id: tell
            type: notify
            with: { url: "{{ secrets.slack_url }}", text: "Paid {{ input.body.id }}" }
        """;

    [Theory]
    [InlineData("fetch", new string[0])]
    [InlineData("is_big", new[] { "fetch" })]
    [InlineData("approve", new[] { "is_big:true" })]
    [InlineData("pay", new[] { "approve", "is_big:false" })]
    [InlineData("tell", new[] { "pay" })]
    public void Compile_ContractExample_GivesTheContractEdges(string step, string[] needs)
    {
        var plan = Plan(Contract);

        NeedsOf(plan, step).Should().Equal(needs);
    }

    [Theory]
    [InlineData("fetch", new[] { "is_big" })]
    [InlineData("is_big", new[] { "approve", "pay" })]
    [InlineData("approve", new[] { "pay" })]
    [InlineData("pay", new[] { "tell" })]
    [InlineData("tell", new string[0])]
    public void Compile_ContractExample_FillsDependentsInDocumentOrder(string step, string[] dependents)
    {
        var plan = Plan(Contract);

        plan[step].Dependents.Should().Equal(dependents);
    }

    [Fact]
    public void Compile_ContractExample_CarriesStepSettings()
    {
        var plan = Plan(Contract);

        plan.Roots.Select(r => r.Id).Should().Equal("fetch");
        plan["fetch"].Retry.Should().Be(new Sagas.Planning.RetryPolicy(5, Sagas.Planning.BackoffKind.Exponential, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), false));
        plan["fetch"].Timeout.Should().Be(TimeSpan.FromSeconds(30));
        plan["approve"].Timeout.Should().Be(TimeSpan.FromHours(24));
        plan["approve"].RunsOnWorker.Should().BeFalse();
        plan["is_big"].References.Should().Equal("fetch");
        plan["pay"].Retry.Should().Be(Sagas.Planning.RetryPolicy.None);
        plan["pay"].Spec.GetProperty("with").GetProperty("body").GetProperty("id").GetString().Should().Be("{{ input.body.id }}");
        plan.Steps.Select(s => s.Index).Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public void Compile_BranchStepThatAlsoNeedsItsCondition_MeansTheSameAsTheBranchAlone()
    {
        // Issue #12: naming the condition in needs as well as listing the step in then is accepted, not refused.
        var both = Plan(Workflow("""
              - { id: c, type: condition, if: "true", then: [t] }
              - { id: t, type: transform, with: {}, needs: [c] }
            """));
        var branchOnly = Plan(Workflow("""
              - { id: c, type: condition, if: "true", then: [t] }
              - { id: t, type: transform, with: {} }
            """));

        NeedsOf(both, "t").Should().Equal("c:true");
        NeedsOf(both, "t").Should().Equal(NeedsOf(branchOnly, "t"));
        both["c"].Dependents.Should().Equal("t");
    }

    [Fact]
    public void Compile_CallbackUrlReadBeforeTheCallbackStep_NeedsNoOrdering()
    {
        // Issue #12: a callback's URL exists from the run's start, so a step before it (or beside it) may send it out.
        var plan = Plan(Workflow("""
              - { id: tell, type: transform, with: { url: "{{ steps.wait.callbackUrl }}" } }
              - { id: wait, type: callback, timeout: 1h }
            """));

        plan["tell"].References.Should().BeEmpty();
        plan.CallbackSteps.Should().Equal("wait");
    }

    [Fact]
    public void Compile_StepsWithoutNeeds_RunInDocumentOrder()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {} }
              - { id: b, type: transform, with: {} }
              - { id: c, type: transform, with: {} }
            """));

        NeedsOf(plan, "a").Should().BeEmpty();
        NeedsOf(plan, "b").Should().Equal("a");
        NeedsOf(plan, "c").Should().Equal("b");
        plan.Roots.Select(r => r.Id).Should().Equal("a");
    }

    [Fact]
    public void Compile_EmptyNeeds_MakesAnotherRoot()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {} }
              - { id: b, type: transform, with: {}, needs: [] }
              - { id: c, type: transform, with: {} }
            """));

        plan.Roots.Select(r => r.Id).Should().Equal("a", "b");
        NeedsOf(plan, "c").Should().Equal("b");
        plan["a"].Dependents.Should().BeEmpty();
    }

    [Fact]
    public void Compile_SeveralNeeds_FanIn()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {} }
              - { id: b, type: transform, with: {}, needs: [] }
              - { id: c, type: transform, with: {}, needs: [a, b] }
            """));

        NeedsOf(plan, "c").Should().Equal("a", "b");
        plan["a"].Dependents.Should().Equal("c");
        plan["b"].Dependents.Should().Equal("c");
    }

    [Fact]
    public void Compile_StepsNeedingOneStep_FanOut()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {} }
              - { id: b, type: transform, with: {}, needs: [a] }
              - { id: c, type: transform, with: {}, needs: [a] }
              - { id: d, type: transform, with: {}, needs: [a] }
            """));

        plan["a"].Dependents.Should().Equal("b", "c", "d");
        NeedsOf(plan, "d").Should().Equal("a");
    }

    [Fact]
    public void Compile_NeedsAsSingleText_IsOneNeed()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {} }
              - { id: b, type: transform, with: {}, needs: [] }
              - { id: c, type: transform, with: {}, needs: a }
            """));

        NeedsOf(plan, "c").Should().Equal("a");
    }

    [Fact]
    public void Compile_NeedsOnALaterStep_PointsForward()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: {}, needs: [b] }
              - { id: b, type: transform, with: {}, needs: [] }
            """));

        NeedsOf(plan, "a").Should().Equal("b");
        plan.Roots.Select(r => r.Id).Should().Equal("b");
    }

    [Fact]
    public void Compile_BranchTargets_DependOnlyOnTheirBranch()
    {
        var plan = Plan(Workflow("""
              - { id: check, type: condition, if: "input.ok", then: [yes, also], else: [no] }
              - { id: yes, type: transform, with: {} }
              - { id: also, type: transform, with: {} }
              - { id: no, type: transform, with: {} }
              - { id: after_no, type: transform, with: {} }
            """));

        NeedsOf(plan, "yes").Should().Equal("check:true");
        NeedsOf(plan, "also").Should().Equal("check:true");
        NeedsOf(plan, "no").Should().Equal("check:false");
        // Not on a branch and no needs: follows the step before it, and so is skipped with it.
        NeedsOf(plan, "after_no").Should().Equal("no");
        plan["check"].Dependents.Should().Equal("yes", "also", "no");
    }

    [Fact]
    public void Compile_StepRightAfterACondition_FollowsItOnEitherBranch()
    {
        var plan = Plan(Workflow("""
              - { id: check, type: condition, if: "input.ok" }
              - { id: next, type: transform, with: {} }
            """));

        NeedsOf(plan, "next").Should().Equal("check");
    }

    [Fact]
    public void Compile_JoinOfBothBranchEnds_NeedsBoth()
    {
        var plan = Plan(Workflow("""
              - { id: check, type: condition, if: "input.ok", then: [yes], else: [no] }
              - { id: yes, type: transform, with: {} }
              - { id: no, type: transform, with: {} }
              - { id: join, type: transform, with: {}, needs: [yes, no] }
            """));

        NeedsOf(plan, "join").Should().Equal("yes", "no");
        plan["yes"].Dependents.Should().Equal("join");
        plan["no"].Dependents.Should().Equal("join");
    }

    [Fact]
    public void Compile_StepOnBranchesOfTwoConditions_NeedsBothBranchesInConditionOrder()
    {
        var plan = Plan(Workflow("""
              - { id: first, type: condition, if: "input.a", then: [act] }
              - { id: second, type: condition, if: "input.b", else: [act] }
              - { id: act, type: transform, with: {} }
            """));

        NeedsOf(plan, "act").Should().Equal("first:true", "second:false");
    }

    [Fact]
    public void Compile_BranchTargetBeforeItsCondition_IsAllowedWithoutACycle()
    {
        var plan = Plan(Workflow("""
              - { id: early, type: transform, with: {}, needs: [check] }
              - { id: check, type: condition, if: "input.ok", then: [late], needs: [] }
              - { id: late, type: transform, with: {} }
            """));

        NeedsOf(plan, "early").Should().Equal("check");
        NeedsOf(plan, "late").Should().Equal("check:true");
        plan.Roots.Select(r => r.Id).Should().Equal("check");
    }

    [Fact]
    public void Compile_RunSettings_BecomeRunOptions()
    {
        var plan = Plan("""
            name: test
            timeout: 1h30m
            concurrency: { limit: 3 }
            steps:
              - { id: a, type: transform, with: {}, continueOnError: true }
            """);

        plan.Options.Should().Be(new Sagas.Planning.RunOptions(TimeSpan.FromMinutes(90), 3));
        plan["a"].ContinueOnError.Should().BeTrue();
    }

    [Fact]
    public void Compile_ExpressionsReadingSteps_FillReferencesInDocumentOrder()
    {
        var plan = Plan(Workflow("""
              - { id: a, type: transform, with: { x: 1 } }
              - { id: b, type: transform, with: { y: 2 } }
              - id: c
                type: transform
                with: { both: "{{ steps.b.output.y + steps['a'].output.x }}", again: "{{ steps.a.output }}" }
              - id: d
                type: script
                with: { code: "return steps.c.output.both" }
            """));

        plan["c"].References.Should().Equal("a", "b");
        plan["d"].References.Should().Equal("c");
        plan["a"].References.Should().BeEmpty();
    }
}
