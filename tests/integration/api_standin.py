#!/usr/bin/env python3
"""A stand-in HTTP server for the health tests: GET /<path> answers the file
<root>/<path>; a JSON file holding a Kubernetes Status object is answered with
the Status's code (403, 500...), as the API server does; a missing file is 404.
Prints "port N" once listening. Usage: api_standin.py ROOT"""
import http.server
import json
import os
import sys

root = os.path.realpath(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.realpath(os.path.join(root, self.path.split("?", 1)[0].lstrip("/")))
        code, body = 404, b'{"kind":"Status","code":404,"message":"not found"}'
        if path.startswith(root + os.sep) and os.path.isfile(path):
            with open(path, "rb") as f:
                body = f.read()
            code = 200
            try:
                doc = json.loads(body)
                if isinstance(doc, dict) and doc.get("kind") == "Status":
                    code = int(doc.get("code", 500))
            except ValueError:
                pass
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print("port", server.server_address[1], flush=True)
server.serve_forever()
