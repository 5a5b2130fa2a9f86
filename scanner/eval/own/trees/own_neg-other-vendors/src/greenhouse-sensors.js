// Sensors of the rooftop greenhouse (plants, not recruiting).
const BASE = "https://iot.acme-farms.io/v1";

exports.sensors = (key) => fetch(`${BASE}/sensors`, { headers: { Authorization: "Basic " + btoa(key + ":") } });
exports.users = () => fetch(`${BASE}/users`);
exports.greenhouseJobs = () => fetch(`${BASE}/jobs?site=greenhouse`);
