#!/usr/bin/env python3
"""No secret value in any output: runs every command on each fixture host that has secrets
(fixtures/hosts/*/expected/secrets.json) and scans what it prints (standard output and error,
--json) and every file it writes that is not meant to hold secrets (analysis.json, manifests
other than the Secrets, the Dockerfile, the image's index, manifest and config) for every value
of the host's secrets. Error paths are included: a secrets file with a syntax error or values of
the wrong type, an analysis that does not parse, a push to a registry that refuses.

usage: secret_scan.py [HOST...]      (DECANT and DECANT_FIXTURES_DIR from the environment)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DECANT = os.environ["DECANT"]
FIXTURES = os.environ.get("DECANT_FIXTURES_DIR", os.path.join(HERE, "..", "..", "fixtures"))
# Files meant to hold secret values: the secrets files and the Kubernetes Secrets. (Image layers
# hold the application's configuration files as they are on the source, secrets included unless
# packed with --externalize-secrets: that is documented, and not a message.)
SECRET_HOLDERS = ("secrets.json", ".secrets.json", "secret.yaml", "secret-files.yaml")


def secret_values(host):
    with open(f"{FIXTURES}/hosts/{host}/expected/secrets.json") as f:
        values = [v for v in json.load(f).values() if isinstance(v, str)]
    with open(f"{FIXTURES}/hosts/{host}/expected/analysis.json") as f:
        analysis = f.read()
    # A value that the analysis legitimately holds as a name ("password" as a property name) or
    # that is too short to tell apart ("sa") cannot be scanned for.
    return [v for v in values if len(v) >= 6 and v not in analysis]


def main():
    hosts = sys.argv[1:] or sorted(
        os.path.basename(os.path.dirname(os.path.dirname(p)))
        for p in glob.glob(f"{FIXTURES}/hosts/*/expected/secrets.json"))
    failures = []
    commands_run = 0
    work = tempfile.mkdtemp(prefix="decant-secret-scan-")
    registry = None
    try:
        port = subprocess.run([sys.executable, "-c", "import socket; s = socket.socket(); "
                               "s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
                              capture_output=True, text=True).stdout.strip()
        registry = subprocess.Popen([sys.executable, f"{HERE}/registry.py", port, "accept",
                                     f"{work}/registry.log"])
        for host in hosts:
            values = secret_values(host)
            if not values:
                continue
            sandbox = f"{work}/{host}"
            shutil.copytree(f"{FIXTURES}/hosts/{host}", f"{sandbox}/host", symlinks=True)
            shutil.rmtree(f"{sandbox}/host/expected")
            pids = sorted(p for p in os.listdir(f"{sandbox}/host/proc") if p.isdigit())
            env = dict(os.environ, HOME=f"{sandbox}/home", TMPDIR=sandbox,
                       DECANT_WORKSPACE=f"{sandbox}/workspace")

            def run(*args, cwd=sandbox):
                nonlocal commands_run
                commands_run += 1
                result = subprocess.run([DECANT, *args], cwd=cwd, env=env, capture_output=True,
                                        timeout=300)
                text = (result.stdout + result.stderr).decode(errors="replace")
                for value in values:
                    if value in text:
                        failures.append(f"{host}: `decant {' '.join(args)}` printed the value of a "
                                        f"secret ({value[:2]}…)")
                return result

            run("--root", "host", "inventory")
            run("--root", "host", "inventory", "--json")
            for pid in pids:
                out = f"a{pid}"
                if run("--root", "host", "analyze", pid, "-o", f"{out}/analysis.json").returncode != 0:
                    continue
                analysis = f"{out}/analysis.json"
                run("--root", "host", "pack", analysis, "--list")
                run("--root", "host", "pack", analysis, "--list", "--json")
                run("--root", "host", "pack", analysis, "-o", f"{out}/oci", "--json", "--tag", "shop/app:1")
                run("--root", "host", "pack", analysis, "-o", f"{out}/oci", "--force", "--externalize-secrets",
                    "--tag", "shop/app:1")
                run("push", f"{out}/oci", f"127.0.0.1:{port}/shop/app:1", "--insecure", "--json")
                run("push", f"{out}/oci", "127.0.0.1:9/shop/app:1", "--insecure", "--retries", "0")
                run("--root", "host", "generate", analysis, "--image", "r.example/shop/app:1", "-o",
                    f"{out}/deploy", "--oci", f"{out}/oci")
                run("--root", "host", "generate", analysis, "--image", "r.example/shop/app:1", "-o",
                    f"{out}/deploy-ext", "--externalize-secrets")
                # Error paths with the secrets in reach of a message.
                secrets_file = f"{sandbox}/{out}/secrets.json"
                if os.path.exists(secrets_file):
                    original = open(secrets_file).read()
                    open(secrets_file, "w").write(original.replace('",', '",,', 1))
                    run("--root", "host", "pack", analysis, "--list")
                    open(secrets_file, "w").write(original.replace('": "', '": ', 1))
                    run("--root", "host", "generate", analysis, "--image", "r.example/a:1", "-o", f"{out}/bad")
                    # A control character right after each value: a parser that quotes what it
                    # read would quote the value.
                    doc = json.loads(original)
                    text = original
                    for v in doc.values():
                        if isinstance(v, str) and v:
                            text = text.replace(json.dumps(v), json.dumps(v)[:-1] + "\x01\"", 1)
                    open(secrets_file, "w").write(text)
                    run("--root", "host", "pack", analysis, "--list")
                    doc = json.loads(original)
                    open(secrets_file, "w").write(json.dumps({k: [v] for k, v in doc.items()}))
                    run("--root", "host", "pack", analysis, "--list")
                    open(secrets_file, "w").write(original)
                run("--root", "host", "pack", analysis, "--list", "--secrets", f"{out}/none.json")
            # Every file written that is not meant to hold secrets.
            for directory, _, files in os.walk(sandbox):
                if directory.startswith(f"{sandbox}/host"):
                    continue
                for name in files:
                    path = os.path.join(directory, name)
                    if name.endswith(SECRET_HOLDERS) or os.path.islink(path):
                        continue
                    with open(path, "rb") as f:
                        data = f.read()
                    if data[:2] in (b"\x1f\x8b", b"\x28\xb5") or "/layers/" in path:
                        continue  # image layers: the source's files as they are
                    for value in values:
                        if value.encode() in data:
                            failures.append(f"{host}: {os.path.relpath(path, sandbox)} holds the "
                                            f"value of a secret ({value[:2]}…)")
    finally:
        if registry:
            registry.terminate()
            registry.wait()
    print(f"{len(hosts)} hosts, {commands_run} commands")
    if failures:
        print("FAIL:\n  " + "\n  ".join(sorted(set(failures))))
        print(f"kept {work}")
        return 1
    shutil.rmtree(work)
    print("PASS: no secret value in any output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
