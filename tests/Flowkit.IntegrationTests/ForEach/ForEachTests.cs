using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.ForEach;

/// <summary>For-each steps (issue #12, docs/workflow-language.md) through the API, the engine and workers on real RabbitMQ and PostgreSQL.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ForEachTests(FlowkitFixture flowkit)
{
    private static readonly int[] ThreeNumbers = [0, 1, 2];
    private static readonly string[] ThreeLetters = ["a", "b", "c"];

    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task ForEach_ThousandItemsConcurrencyTen_AtMostTenInFlightAndOutputInOrder()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-1000");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                concurrency: 10
                with: { method: GET, url: "{{{target.Url("work/")}}}{{ item }}" }
              - id: after
                type: transform
                with: { count: "{{ steps.each.output.length }}" }
            """);
        var items = Enumerable.Range(0, 1000).ToArray();
        var runId = await Client.StartRunAsync(name, new { items });

        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromMinutes(8));

        run.Status().Should().Be("succeeded", run.ToString());
        target.MaxInFlight.Should().BeInRange(2, 10, "at most 10 items are in flight, and they do overlap");
        target.TotalCalls.Should().Be(1000);
        target.Keys.Distinct().Count().Should().Be(1000, "each item has its own idempotency key");
        var each = Api.Step(run, "each");
        each.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("body").GetProperty("index").GetInt32()).Should().Equal(items);
        var progress = each.GetProperty("items");
        progress.GetProperty("total").GetInt32().Should().Be(1000);
        progress.GetProperty("succeeded").GetInt32().Should().Be(1000);
        progress.GetProperty("inFlight").GetInt32().Should().Be(0);
        Api.Step(run, "after").GetProperty("output").GetProperty("count").GetInt32().Should().Be(1000);

        var page = await Client.ReadAsync($"/api/v1/runs/{runId}/steps/each/items?limit=3");
        page.Status.Should().Be(HttpStatusCode.OK, page.Text);
        var cursor = page.Body.GetProperty("nextCursor").GetString();
        var second = await Client.ReadAsync($"/api/v1/runs/{runId}/steps/each/items?limit=3&cursor={Uri.EscapeDataString(cursor!)}");
        second.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("index").GetInt32()).Should().Equal(3, 4, 5);
        second.Body.GetProperty("items")[0].GetProperty("item").GetInt32().Should().Be(3);
        second.Body.GetProperty("items")[0].Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task ForEach_EmptyList_SucceedsAtOnceWithAnEmptyList()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-empty");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                with: { method: GET, url: "{{{target.Url("work/")}}}{{ item }}" }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { items = Array.Empty<int>() }));

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "each").GetProperty("output").GetArrayLength().Should().Be(0);
        Api.Step(run, "each").GetProperty("items").GetProperty("total").GetInt32().Should().Be(0);
        target.TotalCalls.Should().Be(0);
    }

    [Fact]
    public async Task ForEach_NotAList_FailsTheStepWithAPlainError()
    {
        var name = Api.UniqueName("foreach-notlist");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: transform
                forEach: "{{ input.items }}"
                with: { n: "{{ item }}" }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { items = new { a = 1 } }));

        run.Status().Should().Be("failed", run.ToString());
        Api.Step(run, "each").GetProperty("error").GetString().Should().Contain("forEach must give a list").And.Contain("an object");
    }

    [Fact]
    public async Task ForEach_ItemFailsWithoutContinueOnError_StepAndRunFailAndNoLaterItemStarts()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-fail");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                with: { method: GET, url: "{{{target.Url("fail/")}}}{{ item }}?bad=2" }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { items = Enumerable.Range(0, 6) }));

        run.Status().Should().Be("failed", run.ToString());
        var each = Api.Step(run, "each");
        each.Status().Should().Be("failed");
        each.GetProperty("error").GetString().Should().StartWith("Item 2 failed:");
        target.Calls.Keys.Order().Should().Equal(0, 1, 2);
        var events = await Client.GetEventsAsync(run.GetProperty("id").GetGuid());
        var failed = events.Single(e => e.GetProperty("type").GetString() == "ItemFailed");
        failed.GetProperty("data").GetProperty("item").GetInt32().Should().Be(2);
        events.Count(e => e.GetProperty("type").GetString() == "ItemSucceeded").Should().Be(2);
    }

    [Fact]
    public async Task ForEach_ItemFailsWithContinueOnError_ItsSlotHoldsTheErrorAndTheRunGoesOn()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-continue");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                concurrency: 2
                continueOnError: true
                with: { method: GET, url: "{{{target.Url("fail/")}}}{{ item }}?bad=1" }
              - id: after
                type: transform
                with: { errors: "{{ steps.each.output.filter(o => o.error).length }}" }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { items = ThreeNumbers }));

        run.Status().Should().Be("succeeded", run.ToString());
        var each = Api.Step(run, "each");
        each.Status().Should().Be("succeeded");
        var output = each.GetProperty("output");
        output[0].GetProperty("body").GetProperty("index").GetInt32().Should().Be(0);
        output[1].GetProperty("error").GetProperty("code").GetString().Should().Be("http_status");
        output[1].GetProperty("error").GetProperty("message").GetString().Should().Contain("400");
        output[2].GetProperty("body").GetProperty("index").GetInt32().Should().Be(2);
        each.GetProperty("items").GetProperty("failed").GetInt32().Should().Be(1);
        Api.Step(run, "after").GetProperty("output").GetProperty("errors").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task ForEach_ItemFailsOnceThenSucceeds_RetriedWithItsOwnAttempts()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-retry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                concurrency: 3
                retry: { attempts: 3, delay: 100ms }
                with: { method: GET, url: "{{{target.Url("once/")}}}{{ index }}?bad=1" }
            """);

        var runId = await Client.StartRunAsync(name, new { items = ThreeLetters });
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        target.Calls[1].Should().Be(2);
        target.Calls[0].Should().Be(1);
        var items = await Client.ReadAsync($"/api/v1/runs/{runId}/steps/each/items");
        items.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("attempts").GetInt32()).Should().Equal(1, 2, 1);
        items.Body.GetProperty("items")[1].GetProperty("item").GetString().Should().Be("b");
        var events = await Client.GetEventsAsync(runId);
        var retry = events.Single(e => e.GetProperty("type").GetString() == "ItemRetryScheduled");
        retry.GetProperty("data").GetProperty("item").GetInt32().Should().Be(1);
        retry.GetProperty("attempt").GetInt32().Should().Be(1);
        events.Where(e => e.GetProperty("type").GetString() == "ItemSucceeded").Select(e => e.GetProperty("data").GetProperty("item").GetInt32())
            .Order().Should().Equal(0, 1, 2);
        events.Count(e => e.GetProperty("type").GetString() == "StepSucceeded").Should().Be(1);
    }

    [Fact]
    public async Task ForEach_PausedMidway_NothingIsDispatchedUntilResume()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-pause");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                concurrency: 2
                with: { method: GET, url: "{{{target.Url("gate/")}}}{{ item }}" }
            """);
        var runId = await Client.StartRunAsync(name, new { items = Enumerable.Range(0, 8) });
        await Eventually.UntilAsync(() => Task.FromResult(target.Waiting), n => n == 2, TimeSpan.FromSeconds(30), "two items at the gate");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForStatusAsync(runId, "paused");
        target.Open();

        // The two items in flight finish while paused and keep their results; no item takes their places.
        var paused = await Eventually.UntilAsync(() => Client.GetRunAsync(runId),
            r => Api.Step(r, "each").GetProperty("items").GetProperty("succeeded").GetInt32() == 2, TimeSpan.FromSeconds(30), "the two items to finish");
        paused.Status().Should().Be("paused");
        Api.Step(paused, "each").GetProperty("items").GetProperty("dispatched").GetInt32().Should().Be(2);
        target.TotalCalls.Should().Be(2, "nothing new is dispatched while paused");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        target.TotalCalls.Should().Be(8);
        target.MaxInFlight.Should().BeLessThanOrEqualTo(2);
        Api.Step(run, "each").GetProperty("output").EnumerateArray().Select(o => o.GetProperty("body").GetProperty("index").GetInt32())
            .Should().Equal(Enumerable.Range(0, 8));
    }

    [Fact]
    public async Task ForEach_CancelledMidway_NothingNewIsDispatched()
    {
        await using var target = await ItemTarget.StartAsync();
        var name = Api.UniqueName("foreach-cancel");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: each
                type: http
                forEach: "{{ input.items }}"
                concurrency: 2
                with: { method: GET, url: "{{{target.Url("gate/")}}}{{ item }}" }
            """);
        var runId = await Client.StartRunAsync(name, new { items = Enumerable.Range(0, 8) });
        await Eventually.UntilAsync(() => Task.FromResult(target.Waiting), n => n == 2, TimeSpan.FromSeconds(30), "two items at the gate");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "enough" })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);
        await Eventually.UntilAsync(() => Task.FromResult(target.Waiting), n => n == 0, TimeSpan.FromSeconds(30), "the items in flight to be stopped");
        target.Open();

        run.Status().Should().Be("cancelled", run.ToString());
        Api.Step(run, "each").Status().Should().Be("cancelled");
        var items = await Client.ReadAsync($"/api/v1/runs/{runId}/steps/each/items");
        items.Body.GetProperty("items").EnumerateArray().Select(i => i.Status()).Should()
            .Equal("cancelled", "cancelled", "pending", "pending", "pending", "pending", "pending", "pending");
        target.TotalCalls.Should().Be(2, "no item starts after the cancel");
    }

    [Fact]
    public async Task ForEach_InvalidSettings_AnswerProblemsNamingEachFieldAndStoreNothing()
    {
        var name = Api.UniqueName("foreach-invalid");
        var answer = await Client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - { id: ask, type: approval, message: "Go?", forEach: "{{ input.items }}" }
              - { id: a, type: transform, forEach: 42, with: { x: 1 } }
              - { id: b, type: transform, forEach: "input.items", with: { x: 1 } }
              - { id: c, type: transform, forEach: "{{ input.items }}", concurrency: 0, with: { x: 1 } }
              - { id: d, type: transform, forEach: "{{ input.items }}", concurrency: 101, with: { x: 1 } }
              - { id: e, type: transform, concurrency: 2, with: { x: 1 } }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var errors = answer.Body.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("message").GetString()!);
        errors.Should().ContainKey("$.steps[0].forEach").WhoseValue.Should().Contain("does not use 'forEach'");
        errors.Should().ContainKey("$.steps[1].forEach").WhoseValue.Should().Contain("must be text");
        errors.Should().ContainKey("$.steps[2].forEach").WhoseValue.Should().Contain("must be an expression");
        errors.Should().ContainKey("$.steps[3].concurrency").WhoseValue.Should().Contain("from 1 to 100");
        errors.Should().ContainKey("$.steps[4].concurrency").WhoseValue.Should().Contain("from 1 to 100");
        errors.Should().ContainKey("$.steps[5].concurrency").WhoseValue.Should().Contain("add forEach");
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }
}
