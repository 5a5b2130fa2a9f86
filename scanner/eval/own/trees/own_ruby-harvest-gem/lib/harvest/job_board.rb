require "httparty"

module Harvest
  # Public job board (no API key needed for reads).
  class JobBoard
    include HTTParty
    base_uri "https://boards-api.greenhouse.io/v1/boards"

    def initialize(board_token)
      @token = board_token
    end

    def jobs
      self.class.get("/#{@token}/jobs", query: { content: true })
    end

    def departments
      self.class.get("/#{@token}/departments")
    end

    def job(id)
      self.class.get("/#{@token}/jobs/#{id}")
    end
  end
end
