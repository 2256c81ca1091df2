-- wrk script: POST a new product with a unique, check-digit-valid GTIN-13 on every request.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(tid) or 1
  token = os.getenv("BENCH_TOKEN")
  run_id = tonumber(os.getenv("BENCH_RUN") or "1")
end

local function gtin13(n)
  local body = string.format("%012d", n)
  local sum = 0
  for i = 1, 12 do
    local d = tonumber(body:sub(i, i))
    if (12 - i) % 2 == 0 then sum = sum + 3 * d else sum = sum + d end
  end
  return body .. tostring((10 - sum % 10) % 10)
end

function request()
  counter = counter + 1
  local n = 290000000000 + run_id * 10000000 + thread_id * 1000000 + counter
  local body = string.format(
    '{"name_en":"Bench Router %d","name_bn":"বেঞ্চ রাউটার %d","brand":"Bench","model_number":"BR-%d",' ..
    '"category":"network-equipment","gtin":"%s","local_value_addition":40,"lva_basis":"bench run",' ..
    '"specifications":{"Ports":"4"}}', n, n, n, gtin13(n))
  return wrk.format("POST", "/api/v1/products",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"errors_status\":%d,\"p50_ms\":%.2f,\"p99_ms\":%.2f}\n",
    summary.requests, summary.duration, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
