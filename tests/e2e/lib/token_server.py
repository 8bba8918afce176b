#!/usr/bin/env python3
"""A minimal token service for docker-registry's token authentication (distribution
docs/spec/auth/token.md), for decant's Bearer-flow test. Only the standard library and the
openssl command: the RS256 signature is made by `openssl dgst -sha256 -sign KEY`.

usage: token_server.py PORT KEY.pem CERT.pem ISSUER USER PASSWORD LOG

GET /token?service=S&scope=repository:NAME:ACTIONS... with Basic USER:PASSWORD answers
{"token": JWT} granting the scopes asked for; wrong or missing credentials get 401. Every
request is appended to LOG (path and whether credentials came), never the password.
"""
import base64
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

PORT, KEY, CERT, ISSUER, USER, PASSWORD, LOG = sys.argv[1:8]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64() -> str:
    der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


X5C = cert_der_b64()


def sign(payload: dict) -> str:
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY],
                               input=signing_input.encode(), check=True,
                               capture_output=True).stdout
    return signing_input + "." + b64url(signature)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        with open(LOG, "a") as log:
            log.write(f"{url.path} scopes={query.get('scope', [])} basic={auth.startswith('Basic ')}\n")
        if url.path != "/token":
            return self.answer(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]})
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if auth != expected:
            return self.answer(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "wrong user name or password"}]})
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        token = sign({"iss": ISSUER, "sub": USER, "aud": query.get("service", [""])[0],
                      "exp": now + 600, "nbf": now - 30, "iat": now,
                      "jti": b64url(os.urandom(12)), "access": access})
        self.answer(200, {"token": token, "expires_in": 600})


server = HTTPServer(("127.0.0.1", int(PORT)), Handler)
print("ready", flush=True)
server.serve_forever()
