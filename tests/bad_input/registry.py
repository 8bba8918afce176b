#!/usr/bin/env python3
"""A hostile or careless registry for the bad-input catalog.

usage: registry.py PORT MODE LOG
  accept   the distribution API without checking any digest (the kind of registry a corrupted
           layout would reach unnoticed); every committed blob is logged as
           "COMMIT <claimed digest> <sha256 of the bytes received>"
  garbage  every answer is 400 with an error body of the wrong types and odd headers
  huge     every answer is 400 with a 2 MiB error body
  deep     every answer is 400 with an error body nested 100,000 levels deep
  token    /v2/ asks for a Bearer token from this server, whose token answer has no usable token
"""
import hashlib
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
uploads, blobs = {}, {}


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        # Like any registry: a body shorter than its Content-Length (the client stopped sending)
        # is an incomplete request, never committed.
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            log(f"SHORT {self.command} {self.path} {len(data)}/{length}")
            raise ConnectionError("incomplete body")
        return data

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def hostile(self):
        self.body()
        if self.path == "/v2/" and MODE != "token":
            return self.answer(200, b"{}")  # looks like a registry, then answers badly
        if self.command == "HEAD" and MODE != "token":
            return self.answer(404)  # no blob is there: the upload begins
        if MODE == "garbage":
            self.answer(400, b'{"errors":[{"code":5,"message":{"x":[1,2]},"detail":null},"x",7]}',
                        [("Content-Type", "application/json"), ("Location", "\x7f\x01"),
                         ("Docker-Upload-UUID", "x" * 5000)])
        elif MODE == "huge":
            self.answer(400, b'{"errors":[{"code":"DENIED","message":"' + b"A" * (2 << 20) + b'"}]}')
        elif MODE == "deep":
            self.answer(400, b"[" * 100000 + b"]" * 100000)
        elif MODE == "token":
            if self.path.startswith("/token"):
                self.answer(200, b'{"token": 123, "access_token": ["x"]}')
            else:
                self.answer(401, b"{}", [("WWW-Authenticate",
                                          f'Bearer realm="http://127.0.0.1:{PORT}/token",service="x"')])
        return True

    def handle_any(self):
        if MODE != "accept":
            return self.hostile()
        path = self.path.split("?")[0]
        query = self.path.split("?")[1] if "?" in self.path else ""
        data = self.body()
        if path == "/v2/":
            return self.answer(200, b"{}")
        if "/blobs/uploads/" in path and self.command == "POST":
            session = uuid.uuid4().hex
            uploads[session] = b""
            return self.answer(202, b"", [("Location", f"/v2/upload/{session}"), ("Range", "0-0")])
        if path.startswith("/v2/upload/"):
            session = path.rsplit("/", 1)[1]
            uploads[session] = uploads.get(session, b"") + data
            if self.command == "PATCH":
                return self.answer(202, b"", [("Location", path),
                                              ("Range", f"0-{max(len(uploads[session]) - 1, 0)}")])
            digest = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("digest", "")
            digest = digest.replace("%3A", ":")
            blob = uploads.pop(session)
            blobs[digest] = blob
            log(f"COMMIT {digest} sha256:{hashlib.sha256(blob).hexdigest()}")
            return self.answer(201, b"", [("Location", f"/v2/x/blobs/{digest}")])
        if "/blobs/" in path and self.command == "HEAD":
            return self.answer(200 if path.rsplit("/", 1)[1] in blobs else 404)
        if "/manifests/" in path and self.command == "PUT":
            log("MANIFEST " + path)
            return self.answer(201, b"", [("Docker-Content-Digest", "sha256:" + hashlib.sha256(data).hexdigest())])
        return self.answer(404, b'{"errors":[{"code":"UNKNOWN","message":"not here"}]}')

    def handle_request(self):
        try:
            self.handle_any()
        except ConnectionError:
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_request


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
