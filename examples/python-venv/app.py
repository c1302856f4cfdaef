"""A small HTTP service on the standard library's http.server.

It greets with the vendored `greeting` package, reads its routes from
config.yaml with the vendored `tinyyaml` C extension (libyaml), and
`--selftest` prints what it would serve, plus what the `greet` console
script that pip installed prints, then exits.
"""

import http.server
import json
import os
import subprocess
import sys

import greeting
import tinyyaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load_config():
    with open(os.path.join(HERE, "config.yaml"), "rb") as f:
        raw = f.read()
    return raw, tinyyaml.count_events(raw)


def report():
    raw, events = load_config()
    return {
        "message": greeting.greet("python-venv"),
        "libyaml": tinyyaml.libyaml_version(),
        "config_events": events,
    }


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"ok\n"
        else:
            body = (json.dumps(report(), sort_keys=True) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path != "/health" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def selftest():
    r = report()
    print(r["message"])
    print("libyaml %s, %d events in config.yaml" % (r["libyaml"], r["config_events"]))
    out = subprocess.run(["greet", "console script"], check=True, capture_output=True, text=True).stdout
    print("greet: " + out.strip())
    return 0


def main():
    if "--selftest" in sys.argv[1:]:
        return selftest()
    port = int(os.environ.get("PORT", "8000"))
    server = http.server.ThreadingHTTPServer(("", port), Handler)
    print("python-venv listening on :%d" % port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
