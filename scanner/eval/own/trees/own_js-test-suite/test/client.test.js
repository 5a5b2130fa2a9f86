const nock = require("nock");
const assert = require("assert");
const client = require("../lib/client");

describe("greenhouse client", () => {
  it("lists candidates", async () => {
    const scope = nock("https://harvest.greenhouse.io")
      .get("/v1/candidates")
      .basicAuth({ user: "KEY", pass: "" })
      .reply(200, []);
    await client.listCandidates("KEY");
    assert(scope.isDone());
  });

  it("creates a prospect", async () => {
    nock("https://harvest.greenhouse.io").post("/v1/prospects").reply(201, { id: 1 });
    await client.createProspect("KEY", { first_name: "Ada" });
  });
});
