-- wrk script for bench/ingress.sh: POSTs a JSON body that is unique per request (thread id + counter), so every
-- request is a new delivery (no duplicate short-cut) that must be deduplicated, rate-checked and committed.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  -- Unique across threads and across runs (a warm-up and a measurement must not send the same ids).
  math.randomseed(os.time() * 1000 + tid)
  prefix = string.format("%d-%d-%d", os.time(), tid, math.random(1, 1000000000))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format('{"event":"invoice.paid","id":"%s-%d","amount":%d}', prefix, counter, counter % 997)
  return wrk.format(nil, nil, nil, body)
end
