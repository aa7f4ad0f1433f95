using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>Every validation rule: the problem is reported once, at its exact path, in words a person can act on.</summary>
public sealed class ValidationTests
{
    private const string T = "  - { id: t, type: transform, with: {} }\n";

    public static TheoryData<string, string, string> OneProblem => new()
    {
        // The document and its top level.
        { "- a\n- b", "$", "must be a group of settings" },
        { "name: test\ndescripton: x\nsteps:\n" + T, "$.descripton", "Unknown setting 'descripton'. Allowed at the top level: name, description, triggers, timeout, concurrency, steps. Did you mean 'description'?" },
        { "steps:\n" + T, "$.name", "needs a name" },
        { "name: Invoice Flow\nsteps:\n" + T, "$.name", "The name 'Invoice Flow' is not allowed" },
        { "name: -leading-dash\nsteps:\n" + T, "$.name", "is not allowed" },
        { "name: " + new string('a', 65) + "\nsteps:\n" + T, "$.name", "is not allowed" },
        { "name: 5\nsteps:\n" + T, "$.name", "The name must be text, but it is the number 5." },
        { "name: test\ndescription: [a]\nsteps:\n" + T, "$.description", "must be text" },
        { "name: test", "$.steps", "The workflow has no steps" },
        { "name: test\nsteps: []", "$.steps", "The workflow has no steps" },
        { "name: test\nsteps: { a: 1 }", "$.steps", "'steps' must be a list" },
        { "name: test\ntimeout: 30\nsteps:\n" + T, "$.timeout", "Add a unit, like 30s." },
        { "name: test\ntimeout: 31d\nsteps:\n" + T, "$.timeout", "it must be from 1s to 30d" },
        { "name: test\nconcurrency: 5\nsteps:\n" + T, "$.concurrency", "like concurrency: { limit: 5 }" },
        { "name: test\nconcurrency: {}\nsteps:\n" + T, "$.concurrency.limit", "Concurrency needs a limit" },
        { "name: test\nconcurrency: { limit: 0 }\nsteps:\n" + T, "$.concurrency.limit", "from 1 to 10,000" },
        { "name: test\nconcurrency: { limit: 10001 }\nsteps:\n" + T, "$.concurrency.limit", "from 1 to 10,000" },
        { "name: test\nconcurrency: { limit: 2.5 }\nsteps:\n" + T, "$.concurrency.limit", "whole number" },
        { "name: test\nconcurrency: { limit: 2, max: 3 }\nsteps:\n" + T, "$.concurrency.max", "Only 'limit' is allowed" },

        // Steps: shape, ids, types and keys.
        { Workflow("  - just text\n"), "$.steps[0]", "Step 1 must be a group of settings with at least an id and a type" },
        { Workflow("  - { type: transform, with: {} }\n"), "$.steps[0].id", "Step 1 has no id" },
        { Workflow("  - { id: fetch-invoice, type: transform, with: {} }\n"), "$.steps[0].id", "Step id 'fetch-invoice' is not allowed" },
        { Workflow("  - { id: 1st, type: transform, with: {} }\n"), "$.steps[0].id", "is not allowed" },
        { Workflow(T + T), "$.steps[1].id", "Step id 't' is already used by step 1. Each step needs its own id." },
        { Workflow("  - { id: a, with: {} }\n"), "$.steps[0].type", "Step 'a' has no type. Known types: http, transform, condition, approval, delay, notify, script, callback, connector." },
        { Workflow("  - { id: a, type: htp, with: { url: \"http://127.0.0.1/\" } }\n"), "$.steps[0].type", "Step 'a' has unknown type 'htp'. Known types: http, transform, condition, approval, delay, notify, script, callback, connector. Did you mean 'http'?" },
        { Workflow("  - { id: a, type: transform, with: {}, retries: {} }\n"), "$.steps[0].retries", "Did you mean 'retry'?" },
        { Workflow("  - { id: a, type: transform, with: {}, if: \"true\" }\n"), "$.steps[0].if", "Step 'a' does not use 'if': it belongs to condition steps." },
        { Workflow("  - { id: a, type: approval, message: hi, with: {} }\n"), "$.steps[0].with", "it belongs to http and transform and notify and script and connector steps" },
        { Workflow("  - { id: a, type: transform, with: {}, description: 5 }\n"), "$.steps[0].description", "must be text" },
        { Workflow("  - { id: a, type: transform, with: {}, continueOnError: yes }\n"), "$.steps[0].continueOnError", "'continueOnError' must be true or false, but it is the text \"yes\"." },
        { Workflow("  - { id: a, type: callback, retry: { attempts: 3 } }\n"), "$.steps[0].retry", "Callback 'a' cannot retry: its URL takes one call." },
        { Workflow("  - { id: a, type: callback, with: {} }\n"), "$.steps[0].with", "Step 'a' does not use 'with'" },
        { Workflow("  - { id: a, type: transform, with: { u: \"{{ steps.a.callbackUrl }}\" } }\n"), "$.steps[0].with.u", "'a' is a transform step; only callback steps have a callbackUrl." },

        // needs, then and else.
        { Workflow("  - { id: approve, type: approval, message: ok }\n  - { id: pay, type: transform, with: {}, needs: [aprove] }\n"), "$.steps[1].needs[0]", "Step 'pay' needs 'aprove', but there is no step with that id. Did you mean 'approve'?" },
        { Workflow("  - { id: a, type: transform, with: {}, needs: [a] }\n"), "$.steps[0].needs[0]", "Step 'a' cannot need itself." },
        { Workflow(T + "  - { id: b, type: transform, with: {}, needs: [t, t] }\n"), "$.steps[1].needs[1]", "list 't' twice" },
        { Workflow(T + "  - { id: b, type: transform, with: {}, needs: 5 }\n"), "$.steps[1].needs", "must be a list of step ids" },
        { Workflow(T + "  - { id: b, type: transform, with: {}, needs: [5] }\n"), "$.steps[1].needs[0]", "must list step ids" },
        { Workflow("  - { id: c, type: condition, if: \"true\", then: [nope] }\n"), "$.steps[0].then[0]", "Condition 'c' lists 'nope' in then, but there is no step with that id." },
        { Workflow("  - { id: c, type: condition, if: \"true\", else: [nope] }\n"), "$.steps[0].else[0]", "Condition 'c' lists 'nope' in else" },
        { Workflow("  - { id: c, type: condition, if: \"true\", then: [c] }\n"), "$.steps[0].then[0]", "Condition 'c' cannot list itself in then." },
        { Workflow("  - { id: c, type: condition, if: \"true\", then: [t], else: [t] }\n" + T), "$.steps[0].else[0]", "Step 't' is in both then and else of condition 'c'" },
        { Workflow("  - { id: c, type: condition, if: \"true\", then: yes_step, else: {} }\n  - { id: yes_step, type: transform, with: {} }\n"), "$.steps[0].else", "The 'else' list of condition 'c' must be a list of step ids" },

        // Cycles (a step waiting on a later one that follows it in document order closes a circle).
        { Workflow("  - { id: a, type: transform, with: {}, needs: [c] }\n  - { id: b, type: transform, with: {}, needs: [a] }\n  - { id: c, type: transform, with: {}, needs: [b] }\n"), "$.steps[0].needs[0]", "These steps wait for each other in a circle, so none of them can ever start: a -> b -> c -> a (each step waits for the one before it). Remove one of these dependencies." },
        { Workflow("  - { id: a, type: transform, with: {}, needs: [c] }\n  - { id: b, type: transform, with: {} }\n  - { id: c, type: transform, with: {} }\n"), "$.steps[0].needs[0]", "a -> b -> c -> a" },
        { Workflow("  - { id: check, type: condition, if: \"true\", then: [a], needs: [a] }\n  - { id: a, type: transform, with: {} }\n"), "$.steps[0].needs[0]", "check -> a -> check" },

        // http.
        { Workflow("  - { id: a, type: http }\n"), "$.steps[0].with", "Step 'a' needs 'with': an http step needs at least a url" },
        { Workflow("  - { id: a, type: http, with: { method: GET } }\n"), "$.steps[0].with.url", "Step 'a' needs a 'url' in 'with'" },
        { Workflow("  - { id: a, type: http, with: { url: billing/pay } }\n"), "$.steps[0].with.url", "The url 'billing/pay' is not a full web address" },
        { Workflow("  - { id: a, type: http, with: { url: \"ftp://127.0.0.1/x\" } }\n"), "$.steps[0].with.url", "is not a full web address" },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", method: FETCH } }\n"), "$.steps[0].with.method", "Method 'FETCH' is not supported. Use one of GET, POST, PUT, PATCH, DELETE, HEAD." },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", method: post } }\n"), "$.steps[0].with.method", "Write it in capitals: POST." },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", headers: [a] } }\n"), "$.steps[0].with.headers", "'headers' must be a group of name: value pairs" },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", headers: { X-Count: 5 } } }\n"), "$.steps[0].with.headers['X-Count']", "The value of header 'X-Count' must be text" },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", expectedStatuses: 404 } }\n"), "$.steps[0].with.expectedStatuses", "must be a list of HTTP status codes" },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", expectedStatuses: [200, 700] } }\n"), "$.steps[0].with.expectedStatuses[1]", "from 100 to 599" },
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/\", methd: GET } }\n"), "$.steps[0].with.methd", "unknown http setting 'methd'. Allowed in 'with': method, url, headers, body, expectedStatuses. Did you mean 'method'?" },
        { Workflow("  - { id: a, type: http, with: \"http://127.0.0.1/\" }\n"), "$.steps[0].with", "must be a group of settings" },

        // transform, condition, approval, delay, notify, script.
        { Workflow("  - { id: a, type: transform }\n"), "$.steps[0].with", "a transform step outputs its 'with'" },
        { Workflow("  - { id: a, type: transform, with: [1, 2] }\n"), "$.steps[0].with", "must be a group of settings" },
        { Workflow("  - { id: c, type: condition }\n"), "$.steps[0].if", "Condition 'c' needs an 'if' expression" },
        { Workflow("  - { id: c, type: condition, if: \"\" }\n"), "$.steps[0].if", "has an empty 'if'" },
        { Workflow("  - { id: c, type: condition, if: \"input.amount >\" }\n"), "$.steps[0].if", "The condition 'input.amount >' cannot be read" },
        { Workflow("  - { id: a, type: approval }\n"), "$.steps[0].message", "Approval 'a' needs a message" },
        { Workflow("  - { id: a, type: approval, message: \" \" }\n"), "$.steps[0].message", "has an empty message" },
        { Workflow("  - { id: a, type: approval, message: ok, timeout: 24 hours }\n"), "$.steps[0].timeout", "The timeout of step 'a' is '24 hours', which is not a duration." },
        { Workflow("  - { id: a, type: delay }\n"), "$.steps[0]", "Delay 'a' needs 'for'" },
        { Workflow("  - { id: a, type: delay, for: 10m, until: \"2030-01-01T09:00:00Z\" }\n"), "$.steps[0].until", "has both 'for' and 'until'" },
        { Workflow("  - { id: a, type: delay, for: ten minutes }\n"), "$.steps[0].for", "is not a duration" },
        { Workflow("  - { id: a, type: delay, for: 400d }\n"), "$.steps[0].for", "it must be from 1s to 365d" },
        { Workflow("  - { id: a, type: delay, until: tomorrow }\n"), "$.steps[0].until", "'until' must be a date and time with its time zone" },
        { Workflow("  - { id: a, type: delay, until: \"2030-01-01T09:00:00\" }\n"), "$.steps[0].until", "with its time zone" },
        { Workflow("  - { id: a, type: delay, until: \"2030-13-01T09:00:00Z\" }\n"), "$.steps[0].until", "with its time zone" },
        { Workflow("  - { id: a, type: delay, until: \"{{ input.when \" }\n"), "$.steps[0].until", "has no matching '}}'" },
        { Workflow("  - { id: a, type: notify, with: { text: hi } }\n"), "$.steps[0].with.url", "Step 'a' needs a 'url' in 'with'" },
        { Workflow("  - { id: a, type: notify, with: { url: \"{{ secrets.slack }}\" } }\n"), "$.steps[0].with.text", "Step 'a' needs 'text' in 'with'" },
        { Workflow("  - { id: a, type: notify, with: { url: \"{{ secrets.slack }}\", text: hi, channel: x } }\n"), "$.steps[0].with.channel", "Allowed in 'with': url, text." },
        { Workflow("  - { id: a, type: script, with: {} }\n"), "$.steps[0].with.code", "Script 'a' needs 'code' in 'with'" },
        { Workflow("  - { id: a, type: script, with: { code: \"const x = 1;\\nreturn x +;\" } }\n"), "$.steps[0].with.code", "The script cannot be read: Unexpected token ';' (line 2, column 11)" },
        { Workflow("  - { id: a, type: script, with: { code: \"return 1\", script: \"return 1\" } }\n"), "$.steps[0].with.script", "Only 'code' is allowed in 'with'." },
        { Workflow("  - { id: a, type: script, with: { code: \"return 1\", timeout: 5s } }\n"), "$.steps[0].with.timeout", "Only 'code' is allowed" },

        // Templates and what they read.
        { Workflow("  - { id: a, type: http, with: { url: \"http://127.0.0.1/{{ input.body. }}\" } }\n"), "$.steps[0].with.url", "The expression '{{ input.body. }}' cannot be read: Unexpected end of input" },
        { Workflow("  - { id: a, type: approval, message: \"Pay {{ input.id\" }\n"), "$.steps[0].message", "'{{' at character 5 has no matching '}}'." },
        { Workflow("  - { id: a, type: transform, with: { x: \"{{ }}\" } }\n"), "$.steps[0].with.x", "is an empty expression" },
        { Workflow("  - { id: a, type: transform, with: { items: [1, { name: \"{{ 1 + }}\" }] } }\n"), "$.steps[0].with.items[1].name", "cannot be read" },
        { Workflow("  - { id: fetch, type: transform, with: {} }\n  - { id: b, type: notify, with: { url: \"{{ secrets.u }}\", text: \"{{ steps.fetc.output }}\" } }\n"), "$.steps[1].with.text", "Step 'b' reads steps.fetc, but there is no step with that id. Did you mean 'fetch'?" },
        { Workflow("  - { id: a, type: transform, with: { me: \"{{ steps.a.output }}\" } }\n"), "$.steps[0].with.me", "Step 'a' reads its own output (steps.a)" },
        { Workflow("  - { id: a, type: transform, with: { x: \"{{ steps.b.output }}\" } }\n  - { id: b, type: transform, with: {}, needs: [] }\n"), "$.steps[0].with.x", "Step 'a' reads steps.b, but it does not wait for 'b', so that output may not exist yet." },
        { Workflow("  - { id: c, type: condition, if: \"steps.later.output > 1\" }\n  - { id: later, type: transform, with: {} }\n"), "$.steps[0].if", "does not wait for 'later'" },
        { Workflow("  - { id: a, type: script, with: { code: \"return steps.zzz.output\" } }\n"), "$.steps[0].with.code", "reads steps.zzz, but there is no step with that id" },

        // Durations and retries.
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 30 sec }\n"), "$.steps[0].timeout", "The timeout of step 'a' is '30 sec', which is not a duration. Write a whole number followed by a unit (ms, s, m, h or d), like 500ms, 30s, 10m, 24h, 7d or 1h30m." },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 0s }\n"), "$.steps[0].timeout", "must be longer than zero" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: -5s }\n"), "$.steps[0].timeout", "is not a duration" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 1h1h }\n"), "$.steps[0].timeout", "is not a duration" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 30m1h }\n"), "$.steps[0].timeout", "is not a duration" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: \"\" }\n"), "$.steps[0].timeout", "is not a duration" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 1.5h }\n"), "$.steps[0].timeout", "is not a duration" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 500ms }\n"), "$.steps[0].timeout", "The timeout of step 'a' is 500ms; it must be from 1s to 30d." },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 31d }\n"), "$.steps[0].timeout", "it must be from 1s to 30d" },
        { Workflow("  - { id: a, type: transform, with: {}, timeout: 45 }\n"), "$.steps[0].timeout", "must be a duration like 30s, but it is the number 45. Add a unit, like 45s." },
        { Workflow("  - { id: a, type: transform, with: {}, retry: 3 }\n"), "$.steps[0].retry", "'retry' must be a group of settings" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 0 } }\n"), "$.steps[0].retry.attempts", "from 1 to 25 (setting Flowkit:Limits:MaxRetryAttempts)" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 26 } }\n"), "$.steps[0].retry.attempts", "from 1 to 25 (setting Flowkit:Limits:MaxRetryAttempts)" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 2.5 } }\n"), "$.steps[0].retry.attempts", "whole number" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: \"3\" } }\n"), "$.steps[0].retry.attempts", "but it is the text \"3\"" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, backoff: linear } }\n"), "$.steps[0].retry.backoff", "'backoff' must be 'fixed'" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, delay: 10ms } }\n"), "$.steps[0].retry.delay", "it must be from 100ms to 1d" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, delay: 2d } }\n"), "$.steps[0].retry.delay", "it must be from 100ms to 1d" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, delay: 1m, maxDelay: 30s } }\n"), "$.steps[0].retry.maxDelay", "The retry maxDelay (30s) is shorter than the delay (1m)" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, maxDelay: 8d } }\n"), "$.steps[0].retry.maxDelay", "it must be from 100ms to 7d" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempts: 3, jitter: sometimes } }\n"), "$.steps[0].retry.jitter", "'jitter' must be true or false" },
        { Workflow("  - { id: a, type: transform, with: {}, retry: { attempt: 3 } }\n"), "$.steps[0].retry.attempt", "Unknown retry setting 'attempt'. Allowed: attempts, backoff, delay, maxDelay, jitter, on. Did you mean 'attempts'?" },

        // Triggers.
        { "name: test\ntriggers: { webhook: { key: a } }\nsteps:\n" + T, "$.triggers", "'triggers' must be a list" },
        { "name: test\ntriggers: [hook]\nsteps:\n" + T, "$.triggers[0]", "Each trigger must be 'webhook: {...}' or 'cron: {...}'" },
        { "name: test\ntriggers:\n  - webhok: { key: a }\nsteps:\n" + T, "$.triggers[0].webhok", "Unknown trigger 'webhok'. Use 'webhook' or 'cron'. Did you mean 'webhook'?" },
        { "name: test\ntriggers:\n  - {}\nsteps:\n" + T, "$.triggers[0]", "This trigger is empty" },
        { "name: test\ntriggers:\n  - { webhook: { key: a }, cron: { expression: \"0 0 9 * * ?\" } }\nsteps:\n" + T, "$.triggers[0]", "write them as separate items" },
        { "name: test\ntriggers:\n  - webhook: {}\nsteps:\n" + T, "$.triggers[0].webhook.key", "A webhook needs a key" },
        { "name: test\ntriggers:\n  - webhook: { key: New_Invoice }\nsteps:\n" + T, "$.triggers[0].webhook.key", "The webhook key 'New_Invoice' is not allowed" },
        { "name: test\ntriggers:\n  - webhook: { key: a }\n  - webhook: { key: a }\nsteps:\n" + T, "$.triggers[1].webhook.key", "The webhook key 'a' is already used by trigger 1" },
        { "name: test\ntriggers:\n  - webhook: { key: a, secret: hunter2 }\nsteps:\n" + T, "$.triggers[0].webhook.secret", "Write the webhook secret as a reference like '{{ secrets.billing_hook }}'" },
        { "name: test\ntriggers:\n  - webhook: { key: a, secret: \"{{ secrets. }}\" }\nsteps:\n" + T, "$.triggers[0].webhook.secret", "cannot be read" },
        { "name: test\ntriggers:\n  - webhook: { key: a, dedupe: \"body.(id\" }\nsteps:\n" + T, "$.triggers[0].webhook.dedupe", "The dedupe expression 'body.(id' cannot be read" },
        { "name: test\ntriggers:\n  - webhook: { key: a, limit: 50 per second }\nsteps:\n" + T, "$.triggers[0].webhook.limit", "like 50/s or 100/m" },
        { "name: test\ntriggers:\n  - webhook: { key: a, limit: 50/h }\nsteps:\n" + T, "$.triggers[0].webhook.limit", "like 50/s or 100/m" },
        { "name: test\ntriggers:\n  - webhook: { key: a, limit: 0/s }\nsteps:\n" + T, "$.triggers[0].webhook.limit", "from 1 to 1,000,000 requests" },
        { "name: test\ntriggers:\n  - webhook: { key: a, limit: 50 }\nsteps:\n" + T, "$.triggers[0].webhook.limit", "The webhook limit must be text" },
        { "name: test\ntriggers:\n  - webhook: { key: a, overflow: drop }\nsteps:\n" + T, "$.triggers[0].webhook.overflow", "'overflow' must be 'reject'" },
        { "name: test\ntriggers:\n  - webhook: { key: a, signing: x }\nsteps:\n" + T, "$.triggers[0].webhook.signing", "Unknown webhook setting 'signing'" },
        { "name: test\ntriggers:\n  - webhook: { key: a, signature: timestamped }\nsteps:\n" + T, "$.triggers[0].webhook.signature", "'signature' needs 'secret'" },
        { "name: test\ntriggers:\n  - webhook: { key: a, respond: output }\nsteps:\n" + T, "$.triggers[0].webhook.respond", "'respond' must be 'accepted'" },
        { "name: test\ntriggers:\n  - webhook: { key: a, respond: result, respondTimeout: 101s }\nsteps:\n" + T, "$.triggers[0].webhook.respondTimeout", "it must be from 1s to 1m40s" },
        { "name: test\ntriggers:\n  - webhook: { key: a, respond: result, respondTimeout: 5 }\nsteps:\n" + T, "$.triggers[0].webhook.respondTimeout", "Add a unit, like 5s." },
        { "name: test\ntriggers:\n  - webhook: { key: a, respondTimeout: 5s }\nsteps:\n" + T, "$.triggers[0].webhook.respondTimeout", "add respond: result" },
        { "name: test\ntriggers:\n  - cron: { timezone: UTC }\nsteps:\n" + T, "$.triggers[0].cron.expression", "A cron trigger needs an expression" },
        { "name: test\ntriggers:\n  - cron: { expression: \"0 9 * * *\" }\nsteps:\n" + T, "$.triggers[0].cron.expression", "The cron expression '0 9 * * *' is not valid: it has 5 fields, the Unix crontab form, but Flowkit uses Quartz cron, which starts with a seconds field. Cron expressions here have 6 or 7 fields" },
        { "name: test\ntriggers:\n  - cron: { expression: \"0 0 25 * * ?\" }\nsteps:\n" + T, "$.triggers[0].cron.expression", "is not valid" },
        { "name: test\ntriggers:\n  - cron: { expression: \"every day\" }\nsteps:\n" + T, "$.triggers[0].cron.expression", "6 or 7 fields" },
        { "name: test\ntriggers:\n  - cron: { expression: \"0 0 9 ? * MON-FRI\", timezone: Mars/Olympus }\nsteps:\n" + T, "$.triggers[0].cron.timezone", "Unknown time zone 'Mars/Olympus'. Use an IANA time zone name" },
        { "name: test\ntriggers:\n  - cron: { expression: \"0 0 9 ? * MON-FRI\", timezone: Eastern Standard Time }\nsteps:\n" + T, "$.triggers[0].cron.timezone", "Unknown time zone" },
        { "name: test\ntriggers:\n  - cron: { expression: \"0 0 9 ? * MON-FRI\", tz: UTC }\nsteps:\n" + T, "$.triggers[0].cron.tz", "Unknown cron setting 'tz'. Allowed: expression, timezone, misfire, misfireLimit." },

        // Text that is not a document.
        { "name: [unclosed\nsteps: x", "$", "The YAML cannot be read after line 1, column 7" },
        { "name: test\nsteps:\n  - id: a\n   type: transform\n", "$", "The YAML cannot be read at line 4" },
        { "name: test\n\tsteps: []\n", "$", "found a tab character" },
        { "", "$", "The document is empty" },
        { "# only a comment\n", "$", "The document is empty" },
        { "name: a\n---\nname: b\n", "$", "more than one document" },
        { "name: &x [*x]\n", "$", "*x" },
    };

    [Theory]
    [MemberData(nameof(OneProblem))]
    public void Compile_OneProblem_ReportsItOnceAtItsPath(string yaml, string path, string message)
    {
        var compilation = Yaml(yaml);

        compilation.IsValid.Should().BeFalse();
        compilation.Plan.Should().BeNull();
        compilation.Definition.Should().BeNull();
        compilation.CanonicalJson.Should().BeNull();
        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ \"name\": \"a\", \"name\": \"b\", \"steps\": [] }", "$.name", "'name' is written twice here; keep only one.")]
    [InlineData("{ \"name\": \"a\", \"steps\": [ { \"id\": \"x\", \"type\": \"transform\", \"with\": { \"k\": 1, \"k\": 2 } } ] }", "$.steps[0].with.k", "'k' is written twice here")]
    [InlineData("{ \"name\": \"a\", \"steps\": [ }", "$", "The JSON cannot be read at line 1, column")]
    [InlineData("   ", "$", "The document is empty")]
    public void Compile_JsonProblem_ReportsItAtItsPath(string json, string path, string message)
    {
        var compilation = Definitions.Json(json);

        compilation.Errors.Should().Contain(e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_StepsWaitingOnACycle_AreReportedAsNeverRunning()
    {
        var compilation = Yaml(Workflow("""
              - { id: a, type: transform, with: {}, needs: [b] }
              - { id: b, type: transform, with: {}, needs: [a] }
              - { id: c, type: transform, with: {} }
              - { id: d, type: condition, if: "true", then: [e], needs: [c] }
              - { id: e, type: transform, with: {} }
              - { id: free, type: transform, with: {}, needs: [] }
            """));

        compilation.Errors.Should().Equal(
            new ValidationError("$.steps[0].needs[0]", "These steps wait for each other in a circle, so none of them can ever start: a -> b -> a (each step waits for the one before it). Remove one of these dependencies."),
            new ValidationError("$.steps[2]", "Step 'c' can never run: it waits, directly or through other steps, for steps caught in the circle a -> b -> a."),
            new ValidationError("$.steps[3]", "Step 'd' can never run: it waits, directly or through other steps, for steps caught in the circle a -> b -> a."),
            new ValidationError("$.steps[4]", "Step 'e' can never run: it waits, directly or through other steps, for steps caught in the circle a -> b -> a."));
    }

    [Fact]
    public void Compile_TwoSeparateCycles_NamesEach()
    {
        var compilation = Yaml(Workflow("""
              - { id: a, type: transform, with: {}, needs: [b] }
              - { id: b, type: transform, with: {} }
              - { id: c, type: transform, with: {}, needs: [d] }
              - { id: d, type: transform, with: {} }
            """));

        compilation.Errors.Select(e => (e.Path, e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 2)..e.Message.IndexOf(" (", StringComparison.Ordinal)]))
            .Should().Equal(("$.steps[0].needs[0]", "a -> b -> a"), ("$.steps[2].needs[0]", "c -> d -> c"));
    }

    [Fact]
    public void Compile_ManyProblems_ListsThemAllAtOnce()
    {
        var compilation = Yaml("""
            name: Bad Name
            colour: blue
            triggers:
              - cron: { expression: "not cron", timezone: Nowhere/City }
            steps:
              - id: fetch
                type: http
                with: { method: FETCH, url: "http://127.0.0.1/{{ input. }}" }
                timeout: soon
              - id: fetch
                type: transform
                with: {}
              - id: pay
                type: htp
                needs: [aprove]
              - id: approve
                type: approval
                retry: { attempts: 0 }
            """);

        compilation.Errors.Select(e => e.Path).Should().BeEquivalentTo(
            "$.name",
            "$.colour",
            "$.triggers[0].cron.expression",
            "$.triggers[0].cron.timezone",
            "$.steps[0].with.method",
            "$.steps[0].with.url",
            "$.steps[0].timeout",
            "$.steps[1].id",
            "$.steps[2].type",
            "$.steps[2].needs[0]",
            "$.steps[3].message",
            "$.steps[3].retry.attempts");
        compilation.Plan.Should().BeNull();
    }

    [Theory]
    [InlineData("Asia/Seoul")]
    [InlineData("America/New_York")]
    [InlineData("Europe/Berlin")]
    [InlineData("UTC")]
    public void Compile_IanaTimeZone_IsAcceptedUnderInvariantGlobalization(string zone)
    {
        // The build sets InvariantGlobalization; IANA ids resolve from the system's tz database regardless.
        AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant).Should().BeTrue();
        invariant.Should().BeTrue();

        var compilation = Yaml($"name: t\ntriggers:\n  - cron: {{ expression: \"0 0 9 ? * MON-FRI\", timezone: {zone} }}\nsteps:\n" + T);

        compilation.Errors.Should().BeEmpty();
        compilation.Definition!.Triggers.Should().Equal(new CronTrigger("0 0 9 ? * MON-FRI", zone));
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("10m", 600_000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("7d", 604_800_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1d2h3m4s5ms", 93_784_005)]
    public void Compile_Durations_AreRead(string duration, long milliseconds)
    {
        var plan = Plan(Workflow($"  - {{ id: a, type: transform, with: {{}}, retry: {{ attempts: 2, delay: 100ms, maxDelay: {duration} }} }}\n"));

        plan["a"].Retry.MaxDelay.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }

    [Theory]
    [InlineData("http", "with: { url: \"http://127.0.0.1:8080/x\" }")]
    [InlineData("http", "with: { method: HEAD, url: \"{{ secrets.base }}/x\", headers: { Accept: text/plain }, body: [1, null], expectedStatuses: [200, 404] }")]
    [InlineData("transform", "with: { anything: [1, { deep: true }] }")]
    [InlineData("condition", "if: \"{{ input.ok }}\"")]
    [InlineData("approval", "message: \"Approve?\", timeout: 7d")]
    [InlineData("delay", "for: 1s")]
    [InlineData("delay", "until: \"2030-01-01T09:00:00+09:00\"")]
    [InlineData("delay", "until: \"{{ input.when }}\"")]
    [InlineData("notify", "with: { url: \"http://127.0.0.1:8080/hook\", text: \"hi\" }")]
    [InlineData("script", "with: { code: \"return 1\" }")]
    public void Compile_MinimalStepOfEachType_IsValid(string type, string settings)
    {
        var compilation = Yaml(Workflow($"  - {{ id: a, type: {type}, {settings} }}\n"));

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!["a"].Type.Should().Be(type);
    }
}
