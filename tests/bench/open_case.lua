-- wrk script: each request opens a pharmacy referral (a durable action).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TSUNAGU_TOKEN")
wrk.body = '{"pathway":"pharmacy","subject":{"name":"釜石 花子","birth_date":"1948-03-02","area":"unosumai"},' ..
  '"consent":{"obtained_by":"薬剤師 佐藤","obtained_at":"2026-11-20","method":"written","scope":"包括への情報提供"},' ..
  '"fields":{"concern":"isolation"}}'
done = function(summary, latency, requests)
  io.write(string.format("errors %d non2xx %d\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
