const https = require("https");

const HOST = "harvest.greenhouse.io";

function request(method, path, apiKey, body) {
  const auth = Buffer.from(apiKey + ":").toString("base64");
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: HOST, path: "/v1" + path, method, headers: { Authorization: "Basic " + auth } },
      (res) => resolve(res)
    );
    req.on("error", reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

module.exports = {
  listCandidates: (key) => request("GET", "/candidates", key),
  createProspect: (key, body) => request("POST", "/prospects", key, body),
};
