#!/usr/bin/env bash
# decant push authentication against live docker-registry instances: htpasswd Basic auth (right
# credentials from --password-stdin and from a docker config.json; wrong ones get a message
# naming the user and never the password; none at all), and the Bearer token flow with a token
# service this test runs (tests/e2e/lib/token_server.py) that signs real JWTs the registry checks;
# and a 403 (may pull, may not push) from tests/e2e/lib/fake_registry.py.
# ctest: TIMEOUT=300
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools docker-registry htpasswd umoci skopeo curl python3 openssl
DECANT=${DECANT:-build/cli/decant}

WORK=$(mktemp -d /tmp/decant-e2e-auth.XXXXXX)
trap 'stop_started; if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
export XDG_CACHE_HOME=$WORK/cache
export DOCKER_CONFIG=$WORK/no-docker-config
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
cd "$WORK"
make_image oci app 300000 >/dev/null

PASSWORD='Pa55-w0rd-never-printed'
WRONG='Wr0ng-pa55-never-printed'
no_password_in() {
  ! grep -q -e "$PASSWORD" -e "$WRONG" "$@" || fail "a password appears in $*"
}

echo "== htpasswd Basic auth"
htpasswd -Bbn alice "$PASSWORD" >htpasswd
PORT=$(free_port)
write_registry_config basic.yml "$WORK/storage-basic" "$PORT" "auth:
  htpasswd:
    realm: decant-test
    path: $WORK/htpasswd"
start_registry basic.yml "$PORT" basic.log
REG=127.0.0.1:$PORT

printf '%s\n' "$PASSWORD" | "$DECANT" push oci "$REG/team/app:1" --insecure --username alice --password-stdin --json >ok.json 2>ok.err \
  || { cat ok.err; fail "right credentials were refused"; }
grep -q 'as user "alice"' ok.err || fail "the user is not named"
no_password_in ok.err ok.json
skopeo inspect --tls-verify=false --creds "alice:$PASSWORD" "docker://$REG/team/app:1" >/dev/null || fail "skopeo cannot see the pushed image"

set +e
printf '%s' "$WRONG" | "$DECANT" push oci "$REG/team/app:2" --insecure --username alice --password-stdin >bad.out 2>bad.err; rc=$?
set -e
cat bad.err
[ $rc = 9 ] || fail "wrong password: exit $rc, expected 9"
grep -q 'user "alice"' bad.err || fail "wrong password: the user is not named"
grep -q -- "--username/--password-stdin" bad.err || fail "wrong password: the credential's source is not named"
no_password_in bad.err bad.out

set +e
"$DECANT" push oci "$REG/team/app:3" --insecure >none.out 2>none.err; rc=$?
set -e
[ $rc = 9 ] && grep -q "requires a user name and password" none.err || { cat none.err; fail "no credentials: exit $rc"; }

echo "== credentials from a docker config.json"
mkdir -p docker-config
auth=$(printf '%s' "alice:$PASSWORD" | base64 -w0)
printf '{"auths": {"https://%s": {"auth": "%s"}}}\n' "$REG" "$auth" >docker-config/config.json
DOCKER_CONFIG=$WORK/docker-config "$DECANT" push oci "$REG/team/app:4" --insecure >cfg.out 2>cfg.err || { cat cfg.err; fail "config.json credentials"; }
grep -q "from $WORK/docker-config/config.json" cfg.err || fail "the config file is not named"
auth=$(printf '%s' "alice:$WRONG" | base64 -w0)
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$auth" >docker-config/config.json
set +e
DOCKER_CONFIG=$WORK/docker-config "$DECANT" push oci "$REG/team/app:5" --insecure >cfg.out 2>cfg.err; rc=$?
set -e
[ $rc = 9 ] && grep -q "user \"alice\" (from $WORK/docker-config/config.json)" cfg.err || { cat cfg.err; fail "wrong config.json credentials: exit $rc"; }
no_password_in cfg.err
stop_registry

echo "== Bearer tokens from the WWW-Authenticate challenge"
openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 \
  -subj "/CN=decant-test-token-issuer" >/dev/null 2>&1
TPORT=$(free_port)
python3 "$LIB/token_server.py" "$TPORT" token.key token.crt decant-test-issuer alice "$PASSWORD" token.log >token.out 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 300); do grep -q ready token.out 2>/dev/null && break; sleep 0.1; done
grep -q ready token.out || { cat token.out; fail "token server did not start"; }
PORT=$(free_port)
write_registry_config bearer.yml "$WORK/storage-bearer" "$PORT" "auth:
  token:
    realm: http://127.0.0.1:$TPORT/token
    service: decant-test-registry
    issuer: decant-test-issuer
    rootcertbundle: $WORK/token.crt"
start_registry bearer.yml "$PORT" bearer.log
REG=127.0.0.1:$PORT
curl -s -i "http://$REG/v2/" | grep -i '^www-authenticate: Bearer' || fail "the registry does not challenge with Bearer"

printf '%s' "$PASSWORD" | "$DECANT" push oci "$REG/team/app:1" --insecure --username alice --password-stdin --json >bearer.json 2>bearer.err \
  || { cat bearer.err bearer.log; fail "Bearer push"; }
grep -q "scopes=\['repository:team/app:pull,push'\] basic=True" token.log || { cat token.log; fail "no token was asked for the push scope"; }
digest=$(json_field bearer.json 'd["digest"]')
[ "$(json_field bearer.json 'd["bytesUploaded"]')" = "$(json_field bearer.json 'd["imageBytes"]')" ] || fail "Bearer push did not send the image"
no_password_in bearer.err bearer.json

# A second repository: the token asks for pull on the first (mount source) too.
printf '%s' "$PASSWORD" | "$DECANT" push oci "$REG/team/other:1" --insecure --username alice --password-stdin --json >mount.json 2>mount.err \
  || { cat mount.err; fail "Bearer mount push"; }
grep -q "repository:team/app:pull" token.log || fail "no mount scope asked for"
[ "$(json_field mount.json 'sorted(set(b["status"] for b in d["blobs"]))')" = "['mounted']" ] || fail "blobs not mounted under Bearer auth: $(cat mount.err)"

set +e
printf '%s' "$WRONG" | "$DECANT" push oci "$REG/team/app:2" --insecure --username alice --password-stdin >bad.out 2>bad.err; rc=$?
set -e
cat bad.err
[ $rc = 9 ] && grep -q "token service http://127.0.0.1:$TPORT/token" bad.err && grep -q 'user "alice"' bad.err || fail "wrong Bearer credentials: exit $rc"
no_password_in bad.err

# Without --insecure the plain-http token realm is refused before any credential is sent.
set +e
printf '%s' "$PASSWORD" | "$DECANT" push oci "$REG/team/app:3" --username alice --password-stdin --retries 0 >tls.out 2>tls.err; rc=$?
set -e
[ $rc = 9 ] || { cat tls.err; fail "https to a plain-http registry: exit $rc"; }
stop_registry

echo "== 403: a user who may pull but not push"
# docker-registry itself never answers 403; Harbor, Docker Hub and cloud registries do, for a
# repository the user can read but not write. tests/e2e/lib/fake_registry.py denies one.
start_fake_registry 0 denied.log locked/app
set +e
printf '%s' "$PASSWORD" | "$DECANT" push oci "127.0.0.1:$PORT/locked/app:1" --insecure --username alice --password-stdin --retries 3 >denied.json 2>denied.err; rc=$?
set -e
cat denied.err
[ $rc = 9 ] || fail "403: exit $rc, expected 9"
grep -q 'refused user "alice".*not allowed to push to locked/app' denied.err || fail "403: the user and repository are not named"
grep -q "DENIED: requested access to the resource is denied" denied.err || fail "403: the registry's reason is not given"
grep -q "push rights" denied.err || fail "403: no hint on what to do"
[ "$(grep -c "^POST /v2/locked/app/blobs/uploads/" denied.log)" = 1 ] || { cat denied.log; fail "403 is not transient: it was retried"; }
[ ! -s denied.json ] || { cat denied.json; fail "403: a summary was printed as if pushed"; }
no_password_in denied.err
"$DECANT" push oci "127.0.0.1:$PORT/open/app:1" --insecure >open.out 2>open.err || { cat open.err; fail "the same registry refused an allowed repository"; }

ok=1
echo "PASS"
