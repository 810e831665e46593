#!/usr/bin/env bash
# nginx-mastra-auth: the Debian package as a user meets it (run by .ci/run,
# never by ./build.sh test: it installs a package on the machine).
#
#   t/package/deb.sh build/deb/libnginx-mod-http-mastra-auth_VERSION_ARCH.deb
#
# As root: apt-get install ./FILE.deb; Debian's own /etc/nginx/nginx.conf
# loads the module (nginx -t); an nginx of our own that, like Debian's, runs
# its workers as www-data and includes /etc/nginx/modules-enabled/*.conf
# answers 401 without a token and 200 with one, its keys fetched over HTTPS
# from a key server on 127.0.0.1 (openssl s_server) whose CA, made here,
# only root can read; nginx -s reload keeps it answering (a new key is
# fetched by the new workers); apt-get remove leaves an nginx whose nginx -t
# passes.  Whatever happens, the trap stops what it started, purges the
# package and removes its files.
set -euo pipefail

DEB=${1:?usage: $0 FILE.deb}
PACKAGE=libnginx-mod-http-mastra-auth
MODULE=/usr/lib/nginx/modules/ngx_http_mastra_auth_module.so
ENABLED=/etc/nginx/modules-enabled/50-mod-http-mastra-auth.conf

[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (it installs $PACKAGE)" >&2; exit 2; }
[ -f "$DEB" ] || { echo "$0: $DEB: no such file" >&2; exit 2; }
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q 'install ok installed'; then
    echo "$0: $PACKAGE is installed already; this test installs and removes it" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/mastra-deb-XXXXXXXX)
chmod 755 "$WORK"
KS_PID=
CONF=$WORK/nginx.conf

cleanup() {
    set +e
    if [ -s "$WORK/nginx.pid" ]; then
        /usr/sbin/nginx -c "$CONF" -s stop 2>/dev/null
        for _ in $(seq 50); do [ -s "$WORK/nginx.pid" ] || break; sleep 0.1; done
    fi
    [ -n "$KS_PID" ] && kill "$KS_PID" 2>/dev/null && wait "$KS_PID" 2>/dev/null
    # installed, or removed with its links and files left (purge: both go)
    if dpkg -s "$PACKAGE" >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$PACKAGE" >/dev/null 2>&1
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0
check() {  # name command...
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        failed=$((failed + 1))
    fi
}

free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
        LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}

wait_port() {  # port
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# An RS256 token for the key KID, signed by WORK/KID.key.
token() {  # kid
    local now header payload
    now=$(date +%s)
    header=$(printf '{"alg":"RS256","kid":"%s","typ":"JWT"}' "$1" | b64url)
    payload=$(printf '{"sub":"deb-user","iat":%d,"exp":%d}' "$now" $((now + 600)) | b64url)
    printf '%s.%s.%s' "$header" "$payload" \
        "$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$WORK/$1.key" | b64url)"
}

# The public JWK of WORK/KID.key.
jwk() {  # kid
    local modulus
    openssl genrsa -out "$WORK/$1.key" 2048 2>/dev/null
    modulus=$(openssl rsa -in "$WORK/$1.key" -noout -modulus | sed 's/^Modulus=//')
    printf '{"kty":"RSA","kid":"%s","alg":"RS256","use":"sig","n":"%s","e":"AQAB"}' \
        "$1" "$(perl -e 'print pack "H*", $ARGV[0]' "$modulus" | b64url)"
}

status() {  # curl arguments...: the HTTP status
    curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 10 "$@"
}

###############################################################################
# install

echo "# apt-get install $DEB"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log" >&2; exit 1; }

check "the module in /usr/lib/nginx/modules/" test -f "$MODULE"
check "its load_module file in /usr/share/nginx/modules-available/" \
    grep -qx 'load_module modules/ngx_http_mastra_auth_module.so;' \
    /usr/share/nginx/modules-available/mod-http-mastra-auth.conf
check "enabled through /etc/nginx/modules-enabled/" \
    test "$(readlink "$ENABLED")" = /usr/share/nginx/modules-available/mod-http-mastra-auth.conf
check "it depends on the ABI of the nginx it was built for" \
    sh -c "dpkg-query -W -f='\${Depends}' $PACKAGE | grep -q 'nginx-abi-'"
check "nginx -t passes with Debian's own /etc/nginx/nginx.conf" /usr/sbin/nginx -t -q
check "which loads the module" \
    sh -c "/usr/sbin/nginx -T 2>/dev/null | grep -q '^load_module modules/ngx_http_mastra_auth_module.so;'"

###############################################################################
# a key server over HTTPS, its CA readable by root only

mkdir -m 700 "$WORK/private"
mkdir -m 755 "$WORK/keys" "$WORK/www" "$WORK/www/api"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj '/CN=package test CA' -keyout "$WORK/private/ca.key" -out "$WORK/private/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=127.0.0.1' \
    -keyout "$WORK/private/server.key" -out "$WORK/server.csr" 2>/dev/null
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/private/ca.pem" -CAkey "$WORK/private/ca.key" \
    -CAcreateserial -days 2 -out "$WORK/private/server.pem" \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
chmod 600 "$WORK/private/"*

K1=$(jwk k1)
printf '{"keys":[%s]}' "$K1" >"$WORK/keys/jwks.json"
KS_PORT=$(free_port)
(cd "$WORK/keys" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$KS_PORT" \
    -cert "$WORK/private/server.pem" -key "$WORK/private/server.key" >/dev/null 2>&1) &
KS_PID=$!
wait_port "$KS_PORT"

###############################################################################
# nginx as Debian runs it: user www-data, the enabled modules included

PORT=$(free_port)
echo 'protected' >"$WORK/www/api/index.html"
write_conf() {  # key set path
    cat >"$CONF" <<EOF
user www-data;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/error.log info;
include /etc/nginx/modules-enabled/*.conf;

events {
}

http {
    access_log $WORK/access.log;
    client_body_temp_path $WORK/client_body_temp;
    proxy_temp_path $WORK/proxy_temp;
    fastcgi_temp_path $WORK/fastcgi_temp;
    uwsgi_temp_path $WORK/uwsgi_temp;
    scgi_temp_path $WORK/scgi_temp;

    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;

        location /api/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri https://127.0.0.1:$KS_PORT/$1;
            mastra_auth_ca_file  $WORK/private/ca.pem;
            add_header X-Mastra-User \$mastra_auth_user always;
        }
    }
}
EOF
}
write_conf jwks.json

check "nginx -t passes with the test configuration" /usr/sbin/nginx -t -q -c "$CONF"
/usr/sbin/nginx -c "$CONF"
wait_port "$PORT"

URL=http://127.0.0.1:$PORT/api/
check "no token: 401" test "$(status "$URL")" = 401
check "a token of the remote key set: 200" \
    test "$(status -H "Authorization: Bearer $(token k1)" "$URL")" = 200
check "the user handed on" grep -qi '^X-Mastra-User: deb-user' "$WORK/headers"
jwk k9 >/dev/null
check "a token of a key not in the set: 401" \
    test "$(status -H "Authorization: Bearer $(token k9)" "$URL")" = 401
check "workers run as www-data" \
    test "$(ps -o user= --ppid "$(cat "$WORK/nginx.pid")" | sort -u)" = www-data

###############################################################################
# reload: new workers, and a new key set (the zone keeps the old one, and
# an unknown kid refetches it at most every 30 s) with a key only it holds

printf '{"keys":[%s,%s]}' "$K1" "$(jwk k2)" >"$WORK/keys/rotated.json"
write_conf rotated.json
old_workers=$(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")" | sort)
/usr/sbin/nginx -c "$CONF" -s reload 2>>"$WORK/signal.log"
for _ in $(seq 100); do
    now=$(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")" | sort)
    [ -n "$now" ] && [ -z "$(comm -12 <(echo "$old_workers") <(echo "$now"))" ] && break
    sleep 0.1
done
check "nginx -s reload: new workers" \
    test -z "$(comm -12 <(echo "$old_workers") <(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")" | sort))"
check "after the reload, no token: 401" test "$(status "$URL")" = 401
check "after the reload, a new key fetched over HTTPS: 200" \
    test "$(status -H "Authorization: Bearer $(token k2)" "$URL")" = 200
check "no [alert], [crit] or [emerg] in error.log" \
    sh -c "! grep -E '\\[(alert|crit|emerg)\\]' '$WORK/error.log'"

/usr/sbin/nginx -c "$CONF" -s quit 2>>"$WORK/signal.log"
for _ in $(seq 100); do [ -s "$WORK/nginx.pid" ] || break; sleep 0.1; done

###############################################################################
# remove

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$PACKAGE" >"$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log" >&2; exit 1; }
check "apt-get remove: the module is gone" test ! -e "$MODULE"
check "apt-get remove: not enabled any more" test ! -e "$ENABLED"
check "apt-get remove: nginx -t passes with Debian's configuration" /usr/sbin/nginx -t -q

echo "1..$n"
if [ "$failed" -ne 0 ]; then
    echo "# $failed of $n failed; error.log:" >&2
    cat "$WORK/error.log" >&2 2>/dev/null || true
    exit 1
fi
