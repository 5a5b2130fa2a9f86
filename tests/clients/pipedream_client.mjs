// Drives npm @pipedream/greenhouse 1.2.0, unchanged, against harvest-proxy.
// Usage: node pipedream_client.mjs NODE_MODULES_DIR BASE_URL API_KEY PER_PAGE
// Binds the app's methods to an object carrying $auth.api_key, overrides _baseUrl() to the
// proxy's /v1 URL, then pages through listCandidates, listApplications and listJobs.
//
// Usage: node pipedream_client.mjs NODE_MODULES_DIR BASE_URL API_KEY write ON_BEHALF_OF
// Runs the create-candidate, create-prospect and add-attachment-to-candidate actions (their
// run() with the props a workflow would give, On-Behalf-Of as userId), then reads each effect
// back through GET /v1/candidates/{id}. Prints {"writes": {action: {"ok", "visible", "detail"}}}.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, base, key, mode, acting] = process.argv.slice(2);
const appPath = path.join(modules, "@pipedream/greenhouse/greenhouse.app.mjs");
const app = (await import(pathToFileURL(appPath).href)).default;

const obj = { $auth: { api_key: key } };
for (const [name, fn] of Object.entries(app.methods)) {
  obj[name] = fn.bind(obj);
}
obj._baseUrl = () => base.replace(/\/$/, "") + "/v1";

async function reads(perPage) {
  const out = {};
  for (const [name, fn] of [["candidates", obj.listCandidates], ["applications", obj.listApplications], ["jobs", obj.listJobs]]) {
    const ids = [];
    for (let page = 1; page < 10000; page++) {
      const data = await fn({ params: { per_page: Number(perPage), page } });
      if (!Array.isArray(data)) throw new Error(`${name}: not a list: ${JSON.stringify(data).slice(0, 200)}`);
      if (data.length === 0) break;
      ids.push(...data.map((r) => r.id));
    }
    out[name] = ids;
  }
  return out;
}

// An action's run() as Pipedream calls it: props and methods on `this`, the app as a prop.
async function action(name, props) {
  const file = path.join(modules, "@pipedream/greenhouse/actions", name, `${name}.mjs`);
  const mod = (await import(pathToFileURL(file).href)).default;
  const self = { ...props, greenhouse: obj };
  for (const [n, fn] of Object.entries(mod.methods || {})) self[n] = fn.bind(self);
  const $ = { export: () => {}, flow: { exit: () => {} } };
  return mod.run.call(self, { $ });
}

async function candidate(id) {
  return obj._makeRequest({ path: `/candidates/${id}` });
}

async function writes() {
  const out = {};
  const jobId = (await obj.listJobs({ params: { per_page: 1, status: "open" } }))[0].id;
  const record = async (name, props, check) => {
    try {
      const res = await action(name, props);
      out[name] = { ok: true, visible: Boolean(await check(res)), detail: JSON.stringify(res).slice(0, 400) };
      return res;
    } catch (e) {
      const detail = e.response ? { status: e.response.status, data: e.response.data } : String(e.stack);
      out[name] = { ok: false, visible: false, detail: JSON.stringify(detail).slice(0, 400) };
      return {};
    }
  };
  const made = await record("create-candidate",
    { userId: acting, firstName: "Pipe", lastName: "Dream", company: "Acme", jobIds: [Number(jobId)],
      emailAddresses: ["pipe.dream@example.com"], phoneNumbers: ["+15551212"] },
    async (r) => {
      const got = await candidate(r.id);
      return got.last_name === "Dream" && got.applications.some((a) => a.jobs.some((j) => j.id === Number(jobId)));
    });
  await record("create-prospect", { userId: acting, firstName: "Pipe", lastName: "Prospect", phoneNumbers: [] },
    async (r) => (await candidate(r.id)).applications.some((a) => a.prospect));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pd-")), "cv.pdf");
  fs.writeFileSync(file, "%PDF-1.4 pipedream attachment\n");
  await record("add-attachment-to-candidate",
    { userId: acting, candidateId: made.id, filename: "pd-cv.pdf", type: "resume", file, contentType: "application/pdf" },
    async () => (await candidate(made.id)).attachments.some((a) => a.filename === "pd-cv.pdf"));
  return { writes: out };
}

const out = mode === "write" ? await writes() : await reads(mode);
process.stdout.write(JSON.stringify(out) + "\n");
