Gem::Specification.new do |s|
  s.name    = "hello"
  s.version = "0.3.0"
  s.summary = "Greets (a path gem of stagesplit's ruby-bundler example)"
  s.authors = ["stagesplit"]
  s.license = "MIT"
  s.files   = ["lib/hello.rb"]
  s.add_dependency "banner", "~> 1.0"
end
