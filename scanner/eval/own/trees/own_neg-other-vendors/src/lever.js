const axios = require("axios");

const lever = axios.create({
  baseURL: "https://api.lever.co/v1",
  auth: { username: process.env.LEVER_KEY, password: "" },
});

exports.candidates = () => lever.get("/candidates");
exports.users = () => lever.get("/users");
exports.offers = (id) => lever.get(`/opportunities/${id}/offers`);
