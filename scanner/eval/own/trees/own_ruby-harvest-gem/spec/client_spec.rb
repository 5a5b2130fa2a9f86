require "webmock/rspec"
require "harvest/client"

RSpec.describe Harvest::Client do
  let(:client) { described_class.new("KEY", on_behalf_of: 42) }

  it "fetches a candidate" do
    stub_request(:get, "https://harvest.greenhouse.io/v1/candidates/7")
      .with(basic_auth: ["KEY", ""])
      .to_return(status: 200, body: "{}")
    client.candidate(7)
  end

  it "reads the public board without auth" do
    stub_request(:get, "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true")
      .to_return(status: 200, body: "{\"jobs\": []}")
    Harvest::JobBoard.new("acme").jobs
  end
end
