require "httparty"

module Harvest
  # Thin wrapper around the Greenhouse Harvest API.
  class Client
    include HTTParty
    base_uri "https://harvest.greenhouse.io/v1"
    format :json

    def initialize(api_key, on_behalf_of: nil)
      @auth = { username: api_key, password: "" }
      @on_behalf_of = on_behalf_of
    end

    def candidate(id)
      self.class.get("/candidates/#{id}", basic_auth: @auth)
    end

    def candidates(page: 1, per_page: 100)
      self.class.get("/candidates", basic_auth: @auth, query: { page: page, per_page: per_page })
    end

    def add_note(candidate_id, body)
      self.class.post(
        "/candidates/#{candidate_id}/activity_feed/notes",
        basic_auth: @auth,
        headers: { "On-Behalf-Of" => @on_behalf_of.to_s },
        body: { user_id: @on_behalf_of, body: body, visibility: "public" }.to_json
      )
    end

    def job_stages(job_id)
      self.class.get("/jobs/#{job_id}/stages", basic_auth: @auth)
    end

    def reject(application_id, reason_id)
      self.class.post("/applications/#{application_id}/reject",
                      basic_auth: @auth,
                      headers: { "On-Behalf-Of" => @on_behalf_of.to_s },
                      body: { rejection_reason_id: reason_id }.to_json)
    end

    def offices
      self.class.get("/offices", basic_auth: @auth)
    end
  end
end
