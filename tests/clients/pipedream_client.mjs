// Drives npm @pipedream/greenhouse 1.2.0, unchanged, against harvest-proxy.
// Usage: node pipedream_client.mjs NODE_MODULES_DIR BASE_URL API_KEY PER_PAGE
// Binds the app's methods to an object carrying $auth.api_key, overrides _baseUrl() to the
// proxy's /v1 URL, then pages through listCandidates, listApplications and listJobs.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, base, key, perPage] = process.argv.slice(2);
const appPath = path.join(modules, "@pipedream/greenhouse/greenhouse.app.mjs");
const app = (await import(pathToFileURL(appPath).href)).default;

const obj = { $auth: { api_key: key } };
for (const [name, fn] of Object.entries(app.methods)) {
  obj[name] = fn.bind(obj);
}
obj._baseUrl = () => base.replace(/\/$/, "") + "/v1";

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
process.stdout.write(JSON.stringify(out) + "\n");
