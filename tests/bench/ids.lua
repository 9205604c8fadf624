-- wrk scripts over a list of case ids (TSUNAGU_IDS, one per line): each request takes the next id.
-- TSUNAGU_MODE: "accept" (POST …/actions/accept, a durable action), "read" (GET /v1/cases/{id}, a read
-- that writes an access-log row), "inbox" (GET /v1/cases?inbox=org), "mix" (7 reads, 3 openings in 10).
-- TSUNAGU_DELAY_MS paces each connection (for a latency at a given rate: connections / rate).
local ids, n, i = {}, 0, 0
local mode = os.getenv("TSUNAGU_MODE") or "read"
local delay_ms = tonumber(os.getenv("TSUNAGU_DELAY_MS") or "0")
local token = os.getenv("TSUNAGU_TOKEN") or ""
local writer = os.getenv("TSUNAGU_WRITER_TOKEN") or token
local file = os.getenv("TSUNAGU_IDS")
if file then
  for line in io.lines(file) do n = n + 1; ids[n] = line end
end
local opening = '{"pathway":"pharmacy","subject":{"name":"釜石 花子","birth_date":"1948-03-02","area":"unosumai"},' ..
  '"consent":{"obtained_by":"薬剤師 佐藤","obtained_at":"2026-11-20","method":"written","scope":"包括への情報提供"},' ..
  '"fields":{"concern":"isolation"}}'

request = function()
  i = i + 1
  local id = n > 0 and ids[(i - 1) % n + 1] or ""
  if mode == "accept" then
    return wrk.format("POST", "/v1/cases/" .. id .. "/actions/accept",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, "{}")
  elseif mode == "inbox" then
    return wrk.format("GET", "/v1/cases?inbox=org&limit=20", { ["Authorization"] = "Bearer " .. token })
  elseif mode == "mix" and i % 10 < 3 then
    return wrk.format("POST", "/v1/cases", { ["Authorization"] = "Bearer " .. writer,
      ["Content-Type"] = "application/json" }, opening)
  elseif mode == "fixed" then
    return wrk.format("GET", "/")
  end
  return wrk.format("GET", "/v1/cases/" .. id, { ["Authorization"] = "Bearer " .. token })
end

if delay_ms > 0 then
  delay = function() return delay_ms end
end
