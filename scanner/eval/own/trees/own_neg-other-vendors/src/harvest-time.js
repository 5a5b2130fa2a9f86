// Harvest, the time tracker (not Greenhouse).
const fetch = require("node-fetch");

exports.me = (token, account) =>
  fetch("https://api.harvestapp.com/v2/users/me", {
    headers: { Authorization: `Bearer ${token}`, "Harvest-Account-Id": account },
  });
exports.projects = (token) => fetch("https://api.harvestapp.com/v2/projects", { headers: { Authorization: `Bearer ${token}` } });
