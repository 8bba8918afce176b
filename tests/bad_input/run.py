#!/usr/bin/env python3
"""Runs one case of the bad-input catalog (tests/bad_input/catalog.toml) against the built decant.

usage: run.py CATALOG CASE_NAME     (CTest runs one test per case: bad_input.CASE_NAME)

Each case runs in a fresh sandbox directory (its working directory, HOME, TMPDIR and decant's
workspace), after its `setup` shell snippet, and is checked for:
  - the expected exit code, and no crash signal (a negative status, or 128+N from a shell);
  - the expected message fragment on standard error, a `hint:` line with every error, and a
    bounded standard error (a message must never echo a huge input);
  - a time limit (a hang is a failure: the whole process group is killed);
  - nothing written outside the output directory: every path of the sandbox that the command
    created or changed must lie inside `output` (or match `allow`; decant's documented caches in
    ~/.cache/decant are allowed), and on failure nothing that
    looks like valid output may be left anywhere (index.json, oci-layout, analysis.json, secrets
    files, manifests, a Dockerfile);
  - no secret value (the `secrets` list, or every value of the JSON `secrets_file`) in standard
    output or error;
  - the case's own `check` shell snippet, when it has one.
Exit 0 = pass, 1 = fail, 77 = skipped (printed why).
"""
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib

LOOKS_VALID = ("index.json", "oci-layout", "analysis.json", "secrets.json", "*.secrets.json",
               "*.yaml", "Dockerfile")


def snapshot(root):
    state = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, root)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if os.path.isfile(path) and not os.path.islink(path) and st.st_size <= (64 << 20):
                try:
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    digest = "unreadable"
            elif os.path.islink(path):
                digest = "link:" + os.readlink(path)
            else:
                digest = f"mode:{st.st_mode:o}" + ("" if os.path.isdir(path) else f":{st.st_size}")
            state[rel] = digest
        # Do not descend into mounts or huge generated trees twice; os.walk handles the rest.
    return state


def inside(rel, output):
    return output and (rel == output or rel.startswith(output.rstrip("/") + "/"))


def main():
    catalog_path, name = sys.argv[1], sys.argv[2]
    with open(catalog_path, "rb") as f:
        catalog = tomllib.load(f)
    cases = [c for c in catalog["case"] if c["name"] == name]
    if len(cases) != 1:
        print(f"no single case named {name} in {catalog_path}")
        return 1
    case = cases[0]
    decant = os.environ.get("DECANT")
    if not decant or not os.access(decant, os.X_OK):
        print("DECANT must name the built decant binary")
        return 1
    if case.get("root") and os.geteuid() != 0:
        print(f"SKIP: {name} needs root (mounts, device nodes)")
        return 77
    for tool in case.get("needs", []):
        if not shutil.which(tool):
            print(f"SKIP: {name} needs {tool}")
            return 77

    here = os.path.dirname(os.path.abspath(catalog_path))
    sandbox = tempfile.mkdtemp(prefix=f"decant-bad-input-{name}-")
    failures = []
    try:
        for sub in ("home", "tmp", "workspace"):
            os.makedirs(os.path.join(sandbox, sub))
        env = dict(os.environ)
        env.update({
            "DECANT": decant,
            "FIXTURES": os.environ.get("DECANT_FIXTURES_DIR", os.path.join(here, "..", "..", "fixtures")),
            "CASES": here,
            "HOME": os.path.join(sandbox, "home"),
            "TMPDIR": os.path.join(sandbox, "tmp"),
            "DECANT_WORKSPACE": os.path.join(sandbox, "workspace"),
            "LC_ALL": "C.UTF-8",
        })
        env.pop("DECANT_ROOT", None)
        if case.get("setup"):
            setup = subprocess.run(["bash", "-euo", "pipefail", "-c",
                                    'source "$CASES/lib.sh"\n' + case["setup"]], cwd=sandbox,
                                   env=env, capture_output=True, timeout=300)
            if setup.returncode != 0:
                print(f"setup of {name} failed ({setup.returncode}):\n"
                      f"{setup.stdout.decode(errors='replace')}{setup.stderr.decode(errors='replace')}")
                return 1
        before = snapshot(sandbox)

        if "shell" in case:
            argv = ["bash", "-c", 'source "$CASES/lib.sh"\n' + case["shell"]]
        else:
            argv = [decant] + case["command"]
        limit = case.get("timeout", 30)
        started = time.monotonic()
        process = subprocess.Popen(argv, cwd=sandbox, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            failures.append(f"did not finish within {limit} s (a hang)")
        elapsed = time.monotonic() - started
        status = process.returncode
        stdout = out.decode(errors="replace")
        stderr = err.decode(errors="replace")

        expected = case.get("exit", 0)
        if status is not None and status < 0:
            failures.append(f"killed by signal {-status} (a crash)")
        elif status >= 128 and expected < 128:
            failures.append(f"exit {status}: a signal in a shell (a crash)")
        elif status != expected:
            failures.append(f"exit {status}, expected {expected}")
        if "message" in case and case["message"] not in stderr:
            failures.append(f"standard error lacks {case['message']!r}")
        if expected != 0 and "shell" not in case and "\nhint: " not in "\n" + stderr:
            failures.append("an error without a hint: line")
        limit_bytes = case.get("max_stderr", 16384)
        if len(err) > limit_bytes:
            failures.append(f"standard error is {len(err)} bytes (at most {limit_bytes}): an input echoed whole?")

        secrets = list(case.get("secrets", []))
        if case.get("secrets_file"):
            path = os.path.join(sandbox, case["secrets_file"].replace("$FIXTURES", env["FIXTURES"]))
            with open(path) as f:
                secrets += [v for v in json.load(f).values() if isinstance(v, str) and len(v) >= 4]
        for value in secrets:
            if value in stdout or value in stderr:
                failures.append(f"a secret value ({value[:3]}…) appears in the command's output")

        after = snapshot(sandbox)
        output = case.get("output", "")
        allow = case.get("allow", [])
        changed = sorted(p for p in after if before.get(p) != after[p])
        for rel in changed:
            if any(fnmatch.fnmatch(rel, pattern) for pattern in allow):
                continue
            # decant's own caches (push state, trimmed runtimes) live in ~/.cache/decant by design.
            if rel in ("home", "tmp", "workspace", "home/.cache") or rel.startswith("home/.cache/decant"):
                continue
            if not inside(rel, output):
                failures.append(f"wrote {rel} outside the output directory {output or '(none)'}")
            elif status != 0 and any(fnmatch.fnmatch(os.path.basename(rel), p) for p in LOOKS_VALID):
                failures.append(f"left {rel} after failing: partial output that looks valid")
        tmp_left = [p for p in after if p.startswith("tmp/") and p not in before]
        if tmp_left:
            failures.append(f"left temporary files: {tmp_left[:5]}")

        if case.get("check"):
            check = subprocess.run(["bash", "-euo", "pipefail", "-c",
                                    'source "$CASES/lib.sh"\n' + case["check"]], cwd=sandbox,
                                   env=env, capture_output=True, timeout=120)
            if check.returncode != 0:
                failures.append("check failed: " + (check.stdout + check.stderr).decode(errors="replace")[-2000:])

        print(f"{name}: exit {status} in {elapsed:.1f} s")
        print("--- stderr (first 2000 bytes):\n" + stderr[:2000])
        if failures:
            print("FAIL: " + "\n      ".join(failures))
            print(f"kept sandbox {sandbox}")
            sandbox = None
            return 1
        print("PASS")
        return 0
    finally:
        if sandbox:
            subprocess.run(["rm", "-rf", "--one-file-system", sandbox])


if __name__ == "__main__":
    sys.exit(main())
