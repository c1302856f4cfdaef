# A tiny HTTP service on Ruby's standard library (socket; Ruby 3.1 has no
# WEBrick). --selftest prints what GET / would answer, and what the `banner`
# executable that bundle install put on the PATH prints, then exits.
require "socket"
require "open3"
require "hello"

def body
  Hello.framed("ruby-bundler") + "\n"
end

def selftest
  print body
  out, status = Open3.capture2("banner", "executable", "from", "the", "bundle")
  raise "banner exited #{status.exitstatus}" unless status.success?
  print out
  puts "hello #{Hello::VERSION}, banner #{Banner::VERSION}"
end

def serve(port)
  server = TCPServer.new("0.0.0.0", port)
  puts "ruby-bundler listening on :#{port}"
  $stdout.flush
  loop do
    client = server.accept
    request_line = client.gets.to_s
    while (line = client.gets) && line != "\r\n"; end
    text = request_line.start_with?("GET /health ") ? "ok\n" : body
    client.write "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n" \
                 "Content-Length: #{text.bytesize}\r\nConnection: close\r\n\r\n#{text}"
    client.close
  end
end

if ARGV.include?("--selftest")
  selftest
else
  serve(Integer(ENV.fetch("PORT", "4567")))
end
