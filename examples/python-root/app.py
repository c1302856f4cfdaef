"""A small HTTP service copied into / with no WORKDIR, as many legacy
images were: it greets with the vendored `greeting` package and fills
templates/page.txt, which it reads relative to the working directory (/).
`--selftest` prints the page and what the `greet` console script prints.
"""

import http.server
import os
import subprocess
import sys

import greeting


def page():
    with open("templates/page.txt") as f:
        return f.read() % greeting.greet("python-root")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = page().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def selftest():
    sys.stdout.write(page())
    out = subprocess.run(["greet", "console script"], check=True, capture_output=True, text=True).stdout
    print("greet: " + out.strip())
    print("cwd: " + os.getcwd())
    return 0


def main():
    if "--selftest" in sys.argv[1:]:
        return selftest()
    port = int(os.environ.get("PORT", "8000"))
    server = http.server.ThreadingHTTPServer(("", port), Handler)
    print("python-root listening on :%d" % port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
