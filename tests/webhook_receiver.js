// A webhook receiver for the integration tests: verifies each delivery with the
// off-the-shelf `standardwebhooks` package and records it as a JSON line.
// POST /_mode {"mode": "ok"|"500"|"redirect"|"stall"} changes how it answers.
// usage: node webhook_receiver.js PORT_FILE RECORD_FILE SECRET
const http = require("http");
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const [portFile, recordFile, secret] = process.argv.slice(2);
const wh = new Webhook(secret);
let mode = "ok";
const stalled = [];

const server = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url === "/_mode") {
      mode = JSON.parse(body).mode;
      while (stalled.length) stalled.pop().destroy();
      res.writeHead(204).end();
      return;
    }
    let verified = false, error = null;
    try {
      wh.verify(body, req.headers);
      verified = true;
    } catch (e) {
      error = String(e.message || e);
    }
    fs.appendFileSync(recordFile, JSON.stringify({
      mode, path: req.url, id: req.headers["webhook-id"], verified, error,
      timestamp: req.headers["webhook-timestamp"], body,
    }) + "\n");
    if (mode === "500") res.writeHead(500).end("broken");
    else if (mode === "redirect") res.writeHead(302, { Location: "http://elsewhere.invalid/hook" }).end();
    else if (mode === "stall") stalled.push(res.socket);
    else res.writeHead(204).end();
  });
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, String(server.address().port)));

// The test holds our stdin: when it ends (the test finished or was killed), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
