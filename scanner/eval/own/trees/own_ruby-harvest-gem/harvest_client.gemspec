Gem::Specification.new do |s|
  s.name        = "acme-harvest"
  s.version     = "0.4.2"
  s.summary     = "Greenhouse Harvest client for Acme's HR sync"
  s.files       = Dir["lib/**/*.rb"]
  s.add_dependency "httparty", "~> 0.21"
end
