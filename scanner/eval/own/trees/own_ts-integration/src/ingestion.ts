import axios from "axios";

// Sourcing partner integration: Greenhouse Ingestion API (partner key, not Harvest).
const ingestion = axios.create({
  baseURL: "https://api.greenhouse.io/v1/partner",
  auth: { username: process.env.PARTNER_KEY ?? "", password: "" },
});

export function submitProspect(body: unknown, userEmail: string) {
  return ingestion.post("/candidates", body, { headers: { "On-Behalf-Of": userEmail } });
}

export function listJobs() {
  return ingestion.get("/jobs");
}
