#!/usr/bin/env python3
"""A small in-memory OCI distribution registry for the chunk-resume test: docker-registry 2.8
refuses to continue an upload session cut in the middle of a PATCH, so the resume-at-offset path
of decant push is tested here, with a registry that keeps every completed chunk.

usage: fake_registry.py PORT FAIL_AT_PATCH LOG [DENIED_REPOSITORY]
  FAIL_AT_PATCH = n > 0: the n-th PATCH (counting from 1) answers 503 without storing anything
  (a registry briefly down); the session and its earlier chunks stay. 0 = never fail.
  DENIED_REPOSITORY: pushes to it (starting an upload, putting a manifest) answer 403 DENIED, as
  Harbor or Docker Hub answer a user who may pull but not push.
Every request is appended to LOG as "METHOD path bytes=N".
"""
import hashlib
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, FAIL_AT, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
DENIED = sys.argv[4] if len(sys.argv) > 4 else None
blobs, uploads, manifests = {}, {}, {}
patches = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, headers=None, payload=b""):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def error(self, status, code, message):
        self.reply(status, {"Content-Type": "application/json"},
                   json.dumps({"errors": [{"code": code, "message": message}]}).encode())

    def handle_any(self):
        global patches
        data = self.body()
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        with open(LOG, "a") as log:
            log.write(f"{self.command} {path} bytes={len(data)}\n")
        parts = path.split("/")
        if path == "/v2/":
            return self.reply(200, {}, b"{}")
        if DENIED and path.startswith(f"/v2/{DENIED}/") and self.command in ("POST", "PUT"):
            return self.error(403, "DENIED", "requested access to the resource is denied")
        if "/blobs/uploads/" in path:
            repo = path[len("/v2/"):path.index("/blobs/uploads/")]
            uid = path.rsplit("/", 1)[1]
            if self.command == "POST":
                uid = uuid.uuid4().hex
                uploads[uid] = b""
                return self.reply(202, {"Location": f"/v2/{repo}/blobs/uploads/{uid}",
                                        "Range": "0-0"})
            if uid not in uploads:
                return self.error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown")
            size = len(uploads[uid])
            rng = f"0-{size - 1 if size else 0}"
            location = f"/v2/{repo}/blobs/uploads/{uid}"
            if self.command == "GET":
                return self.reply(204, {"Location": location, "Range": rng})
            if self.command == "PATCH":
                patches += 1
                if FAIL_AT and patches == FAIL_AT:
                    return self.error(503, "UNAVAILABLE", "registry going down")
                start = int(self.headers["Content-Range"].split("-")[0])
                if start != size:
                    return self.error(416, "BLOB_UPLOAD_INVALID", "range mismatch")
                uploads[uid] += data
                size = len(uploads[uid])
                return self.reply(202, {"Location": location, "Range": f"0-{size - 1}"})
            if self.command == "PUT":
                content = uploads.pop(uid) + data
                digest = "sha256:" + hashlib.sha256(content).hexdigest()
                if digest != params.get("digest", "").replace("%3A", ":"):
                    return self.error(400, "DIGEST_INVALID", "digest mismatch")
                blobs[digest] = content
                return self.reply(201, {"Location": f"/v2/{repo}/blobs/{digest}",
                                        "Docker-Content-Digest": digest})
        if "/blobs/" in path and self.command == "HEAD":
            digest = parts[-1]
            if digest in blobs:
                return self.reply(200, {"Content-Length": str(len(blobs[digest]))})
            return self.reply(404)
        if "/manifests/" in path and self.command == "PUT":
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            manifests[path] = data
            return self.reply(201, {"Docker-Content-Digest": digest})
        if "/manifests/" in path and self.command in ("GET", "HEAD") and path in manifests:
            data = manifests[path]
            return self.reply(200, {"Content-Type": json.loads(data).get("mediaType", ""),
                                    "Docker-Content-Digest":
                                        "sha256:" + hashlib.sha256(data).hexdigest()}, data)
        return self.error(405, "UNSUPPORTED", f"{self.command} {path}")

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = handle_any


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
