import axios, { AxiosInstance } from "axios";

export interface HarvestOptions {
  apiKey: string;
  actingUserId: number;
}

export function createHarvest(opts: HarvestOptions): AxiosInstance {
  return axios.create({
    baseURL: "https://harvest.greenhouse.io/v1",
    auth: { username: opts.apiKey, password: "" },
    headers: { "Content-Type": "application/json" },
  });
}

export class HarvestApi {
  private http: AxiosInstance;

  constructor(private opts: HarvestOptions) {
    this.http = createHarvest(opts);
  }

  job(id: number) {
    return this.http.get(`/jobs/${id}`);
  }

  openings(jobId: number) {
    return this.http.get(`/jobs/${jobId}/openings`, { params: { per_page: 100 } });
  }

  updateApplication(id: number, body: Record<string, unknown>) {
    return this.http.patch(`/applications/${id}`, body, {
      headers: { "On-Behalf-Of": String(this.opts.actingUserId) },
    });
  }

  eeoc() {
    return this.http.get("/eeoc");
  }
}
