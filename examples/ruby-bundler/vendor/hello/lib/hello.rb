require "banner"

# Greets, framed by the banner gem.
module Hello
  VERSION = "0.3.0"

  def self.greet(name)
    "Hello, #{name}!"
  end

  def self.framed(name)
    Banner.frame(greet(name))
  end
end
