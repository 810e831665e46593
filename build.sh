#!/usr/bin/env bash
# nginx-mastra-auth: build, demo and test.
#
#   ./build.sh          install what is missing, build the module, print its path
#   ./build.sh demo     build, then run nginx with conf-examples/quickstart.conf
#   ./build.sh test     build, then run every test: ctest, prove -r t/, the
#                       asan run below, each fuzz target for 30 s (FUZZ_SECONDS)
#   ./build.sh fuzz [S] build the libFuzzer targets (clang, ASan, UBSan) and
#                       run each for S seconds (default 60), 2 at a time
#   ./build.sh asan     core and module with -fsanitize=address,undefined in
#                       build/asan, prove -r t/ against it; any report fails
#   ./build.sh valgrind [T...]  prove (all but two timing-bound files, or
#                       T...) with nginx under valgrind memcheck (slow; not in test)
#   ./build.sh bench [S] build, then t/bench/instructions (callgrind: the
#                       instructions a request) and t/bench/run (wrk, S seconds
#                       a case, in 1 s slices against plain nginx)
#   ./build.sh deb      the Debian package libnginx-mod-http-mastra-auth
#                       (debian/: debhelper, dh_nginx), checked by lintian;
#                       prints the .deb's path
#   ./build.sh compat [TARBALL...]  for each nginx release tarball (default:
#                       ../shared/nginx/*.tar.gz beside the checkout), build
#                       that nginx and the module, run prove -r t/ against
#                       it, print one line a version; fails if any fails
#
# Debian 12: the module is built against Debian's nginx-dev sources
# (/usr/share/nginx/src, nginx 1.22.1, --with-compat) so that Debian's own
# /usr/sbin/nginx loads it.  NGINX_SRC=DIR_OR_TARBALL: every command builds
# that nginx into build/nginx/ (once while its source is unchanged), the
# module against it, and runs against that nginx instead; ./build.sh then
# prints that nginx's path before the module's.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
BUILD=$ROOT/build
MODULE=$BUILD/ngx_http_mastra_auth_module.so
# The nginx that runs the demo, the tests and the benchmarks, and where the
# modules built for it go: Debian's, or the one NGINX_SRC names (use_nginx).
NGINX=/usr/sbin/nginx
OUT=$BUILD
NGINX_DIR=
JOBS=$(nproc 2>/dev/null || echo 2)

PACKAGES=(
    nginx nginx-dev
    build-essential cmake pkg-config
    libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libpcre2-dev zlib1g-dev
    libgtest-dev
    perl libcrypt-jwt-perl libcryptx-perl libjson-pp-perl libio-socket-ssl-perl
    curl openssl
    wrk
)
# What only the prove suite needs: Chromium for the browser tests, and
# Prometheus (promtool, and a real server scraping the metrics) for
# t/metrics.t (installed by every mode that runs the suite, see
# install_fixtures).
TEST_PACKAGES=(chromium prometheus)
# The Mastra test fixture (t/fixtures/mastra) is installed with npm; any npm
# will do (the fixture brings its own node 22 as an npm package).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

log() { printf '==> %s\n' "$*" >&2; }

install_dependencies() {
    local missing=() p
    for p in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    log "installing: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the nginx service on install; the demo and tests run
    # their own nginx, and a stray one on :80 only confuses.
    if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
        "${sudo[@]}" systemctl stop nginx || true
    fi
}

build_core() {
    log "building the C++ core and unit tests"
    cmake -S "$ROOT" -B "$BUILD/core" -DMASTRA_AUTH_TESTS=${MASTRA_AUTH_TESTS:-ON} >/dev/null
    cmake --build "$BUILD/core" -j "$JOBS" >/dev/null
}

# The nginx that NGINX_SRC names is configured as nginx.org's packages and
# the official container images are (--with-compat, threads, SSL, HTTP/2),
# with every module the tests use (auth_request, SSI; realip and
# stub_status as the packages have them) and, as Debian's nginx and
# nginx.org's nginx-debug have, debug logging (tests read debug lines).
NGINX_FLAGS=(
    --with-compat --with-threads --with-pcre-jit --with-debug
    --with-http_ssl_module --with-http_v2_module
    --with-http_auth_request_module --with-http_realip_module
    --with-http_stub_status_module
)

# use_nginx DIR_OR_TARBALL: build that nginx into build/nginx/KEY/ unless it
# is there: KEY is the checksum of the tarball (of a tree: of its files) and
# of the flags, so one build serves until the source changes.  Sets NGINX
# to its binary, and OUT (where the module built for it goes) to that
# directory; the tests take nginx from TEST_NGINX_BINARY.
use_nginx() {
    local src=$1 key dir
    [ -e "$src" ] || { log "NGINX_SRC: $src not found"; exit 2; }
    src=$(cd "$(dirname "$src")" && echo "$PWD/$(basename "$src")")
    install_dependencies
    if [ -d "$src" ]; then
        [ -f "$src/auto/configure" ] || [ -f "$src/configure" ] \
            || { log "NGINX_SRC: $src is no nginx source tree"; exit 2; }
        key=$( (cd "$src" && find . \( -path ./objs -o -path ./Makefile \) -prune \
            -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum)
    else
        key=$(sha256sum <"$src")
    fi
    key=$(printf '%s %s\n' "$key" "${NGINX_FLAGS[*]}" | sha256sum | cut -c1-16)
    dir=$BUILD/nginx/$key
    if [ ! -x "$dir/sbin/nginx" ]; then
        log "building nginx from $src (build/nginx/$key)"
        rm -rf "$dir"
        mkdir -p "$dir/src"
        if [ -d "$src" ]; then
            (cd "$src" && tar cf - --exclude=./objs --exclude=./Makefile .) \
                | tar xf - -C "$dir/src"
        else
            tar xf "$src" -C "$dir/src" --strip-components=1
        fi
        # nginx's repository keeps configure in auto/; a release at the top
        [ -f "$dir/src/configure" ] || cp "$dir/src/auto/configure" "$dir/src/configure"
        cp -a "$dir/src" "$dir/tree"
        # the binary alone: a tree from nginx's repository has no man page
        (cd "$dir/tree" && ./configure --prefix="$dir" "${NGINX_FLAGS[@]}" \
            >"$dir/configure.log" 2>&1 \
            && make -f objs/Makefile -j "$JOBS" binary >"$dir/make.log" 2>&1) \
            || { tail -40 "$dir/configure.log" "$dir/make.log" >&2; exit 1; }
        mkdir -p "$dir/sbin"
        cp "$dir/tree/objs/nginx" "$dir/sbin/nginx"
        rm -rf "$dir/tree"
    fi
    NGINX=$dir/sbin/nginx
    NGINX_DIR=$dir
    OUT=$dir
    MODULE=$OUT/ngx_http_mastra_auth_module.so
    export TEST_NGINX_BINARY=$NGINX
}

# build_module_in DIR CORE_LIB OUT CC_OPT LD_OPT [CONFIGURE_ARG...]: the
# module, compiled in DIR/nginx-src (a private copy of Debian's nginx
# sources, or of NGINX_SRC's: configure writes into it) with the core
# library CORE_LIB, copied to OUT.
build_module_in() {
    local dir=$1 core=$2 out=$3 cc_opt=$4 ld_opt=$5 src=$1/nginx-src flags
    shift 5
    if [ ! -f "$src/objs/Makefile" ] || [ "$ROOT/config" -nt "$src/objs/Makefile" ]; then
        rm -rf "$src"
        if [ -n "$NGINX_DIR" ]; then
            cp -a "$NGINX_DIR/src" "$src"
            flags=(--prefix="$NGINX_DIR" "${NGINX_FLAGS[@]}")
        else
            cp -a /usr/share/nginx/src "$src"
            # shellcheck disable=SC1091
            . "$src/conf_flags"
            flags=("${NGX_CONF_FLAGS[@]}")
        fi
        (cd "$src" && ./configure "${flags[@]}" \
            "$@" --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
            --add-dynamic-module="$ROOT" >"$dir/configure.log" 2>&1) \
            || { cat "$dir/configure.log" >&2; exit 1; }
    fi
    # nginx's Makefile knows our C files, not the core library they link:
    # drop the module so that a changed core is always linked in.
    rm -f "$src/objs/ngx_http_mastra_auth_module.so"
    MASTRA_AUTH_CORE_LIB=$core \
        make -C "$src" -f objs/Makefile modules -j "$JOBS" >"$dir/make.log" 2>&1 \
        || { grep -E 'error|warning' "$dir/make.log" >&2 || tail -40 "$dir/make.log" >&2; exit 1; }
    # Replaced, never overwritten in place: an nginx running the old module
    # keeps its mapping intact.
    cp "$src/objs/ngx_http_mastra_auth_module.so" "$out.tmp"
    mv -f "$out.tmp" "$out"
}

# For t/bench/run: the module with the verified-token cache in each worker's
# memory instead of the shared zone (NGX_HTTP_MASTRA_AUTH_CACHE_PER_WORKER).
build_per_worker_variant() {
    log "building the per-worker cache variant (for the benchmark)"
    mkdir -p "$OUT/per-worker"
    build_module_in "$OUT/per-worker" "$BUILD/core/src/core/libmastra_auth_core.a" \
        "$OUT/per-worker/ngx_http_mastra_auth_module.so" \
        "-g -O2 -fPIC -Wall -Wextra -Wno-unused-parameter -Werror -DNGX_HTTP_MASTRA_AUTH_CACHE_PER_WORKER=1" \
        "-Wl,-z,relro -Wl,-z,now -fPIC"
}

build_module() {
    log "building the nginx module"
    build_module_in "$OUT" "$BUILD/core/src/core/libmastra_auth_core.a" "$MODULE" \
        "-g -O2 -fPIC -fstack-protector-strong -Wformat -Werror=format-security -Wall -Wextra -Wno-unused-parameter -Werror" \
        "-Wl,-z,relro -Wl,-z,now -fPIC"
    # The nginx it is built for must be there to load it.
    "$NGINX" -V >/dev/null 2>&1
}

build() {
    install_dependencies
    mkdir -p "$BUILD"
    build_core
    build_module
    [ -z "$NGINX_DIR" ] || echo "$NGINX"
    echo "$MODULE"
}

# What the prove suite runs beside nginx: Chromium and Prometheus
# (TEST_PACKAGES), and the
# node fixtures (t/fixtures/*: a real Better Auth server, a real Mastra
# server), each from its committed package-lock.json (with the node 22
# binary as an npm package); npm ci runs again only when the lockfile is
# newer than what is installed.  Should npm still be missing, the tests
# that need a fixture skip.
install_fixtures() {
    local lock dir
    install_dependencies "${TEST_PACKAGES[@]}"
    for lock in "$ROOT"/t/fixtures/*/package-lock.json; do
        [ -f "$lock" ] || continue
        dir=$(dirname "$lock")
        if [ -f "$dir/node_modules/.package-lock.json" ] \
            && [ ! "$lock" -nt "$dir/node_modules/.package-lock.json" ]; then
            continue
        fi
        if ! command -v npm >/dev/null; then
            log "npm not found: ${dir#"$ROOT"/} not installed, its tests will skip"
            continue
        fi
        log "npm ci in ${dir#"$ROOT"/}"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    done
}

run_tests() {
    log "unit tests (ctest)"
    (cd "$BUILD/core" && ctest --output-on-failure -j "$JOBS")
    # ctest keeps a passing test's output to itself: show the vector counts.
    "$BUILD/core/t/unit/wycheproof_test" | grep -F '[wycheproof]'
    install_fixtures
    log "integration tests (prove)"
    MASTRA_AUTH_MODULE=$MODULE prove -I "$ROOT/t/lib" -r "$ROOT/t/"
}

# An HS256 token for the demo, made with openssl alone.
mint_token() {  # secret payload-json
    local b64url='base64 -w0 | tr "+/" "-_" | tr -d "="'
    local header payload signature
    header=$(printf '{"alg":"HS256","typ":"JWT"}' | eval "$b64url")
    payload=$(printf '%s' "$2" | eval "$b64url")
    signature=$(printf '%s.%s' "$header" "$payload" \
        | openssl dgst -sha256 -mac HMAC -macopt "key:$1" -binary | eval "$b64url")
    printf '%s.%s.%s' "$header" "$payload" "$signature"
}

# Every core parser under libFuzzer, from seeds made at run time: each
# target (the FUZZ_TARGETS line of t/fuzz/CMakeLists.txt) runs for SECONDS,
# FUZZ_JOBS (2) at a time, and is reported with its executions and coverage.
# A crash, a leak or an input slower than 10 s fails the run, with
# libFuzzer's report and the input that caused it (build/fuzz/artifacts/).
fuzz_targets() {
    sed -n 's/^set(FUZZ_TARGETS \(.*\))$/\1/p' "$ROOT/t/fuzz/CMakeLists.txt"
}

fuzz_one() {  # target seconds
    local target=$1 seconds=$2 dir=$BUILD/fuzz
    mkdir -p "$dir/corpus/$target"
    (cd "$dir" && "./fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/$target-" \
        "$dir/corpus/$target" >"$dir/logs/$target.log" 2>&1)
}

run_fuzz() {
    local seconds=${1:-60} jobs=${FUZZ_JOBS:-2} dir=$BUILD/fuzz target running=0 failed=()
    local execs cov artifact
    install_dependencies clang libclang-rt-14-dev
    log "building the fuzz targets (clang, -fsanitize=fuzzer,address,undefined)"
    cmake -S "$ROOT/t/fuzz" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
    cmake --build "$dir" -j "$JOBS" >/dev/null
    perl "$ROOT/t/fuzz/seeds.pl" "$dir/corpus"
    rm -rf "$dir/logs" "$dir/artifacts"
    mkdir -p "$dir/logs" "$dir/artifacts"
    log "fuzzing $(fuzz_targets | wc -w) targets for ${seconds}s each, $jobs at a time"
    for target in $(fuzz_targets); do
        if [ "$running" -ge "$jobs" ]; then
            wait -n || true
            running=$((running - 1))
        fi
        (rc=0; fuzz_one "$target" "$seconds" || rc=$?; echo "$rc" >"$dir/logs/$target.rc") &
        running=$((running + 1))
    done
    wait
    for target in $(fuzz_targets); do
        execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$dir/logs/$target.log")
        cov=$(sed -n 's/.*DONE *cov: \([0-9]*\) .*/\1/p' "$dir/logs/$target.log")
        if [ "$(cat "$dir/logs/$target.rc")" = 0 ]; then
            printf '    fuzz_%-13s %10s executions  cov %s\n' "$target" "${execs:-?}" "${cov:-?}"
            continue
        fi
        failed+=("$target")
        printf '    fuzz_%-13s FAILED (exit %s)\n' "$target" "$(cat "$dir/logs/$target.rc")"
    done
    [ ${#failed[@]} -eq 0 ] && return 0
    for target in "${failed[@]}"; do
        log "fuzz_$target: libFuzzer's report ($dir/logs/$target.log)"
        { awk '/^==[0-9]+==|^ALARM|deadly signal|runtime error/ { p = 1 } p { print }
               p && /^SUMMARY/ { exit }' "$dir/logs/$target.log" | head -60
          grep -E '^(Test unit written|Base64:)' "$dir/logs/$target.log"; } >&2
        for artifact in "$dir/artifacts/$target-"*; do
            [ -f "$artifact" ] || continue
            log "reproducer: $artifact (replay: $dir/fuzz_$target $artifact)"
            od -An -c "$artifact" | head -20 >&2
        done
    done
    return 1
}

# The core and the module built with ASan and UBSan into build/asan (its own
# core, nginx sources and module), and the whole prove suite run against it
# by Debian's nginx with the sanitizer runtime preloaded; the harness gives
# MASTRA_AUTH_NGINX_ENV to nginx only (workers inherit the master's runtime).
# clang, not gcc: gcc's UBSan runtime is a library apart from libasan that
# reads its options at its first report, when nginx has already written its
# process title over the environment, and then reports into error.log where
# nothing looks; clang's one runtime reads both at start.  Leak detection is
# off: nginx never frees its cycle at exit.  Any report file fails the run.
SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer"
# The module defines ngx_modules as nginx does (a dynamic module's list of
# one): with private aliases ASan guards the module's own copy, not nginx's.
SANITIZE_MODULE="$SANITIZE -fsanitize-address-use-odr-indicator"

run_asan() {
    local dir=$OUT/asan core=$BUILD/asan/core reports=$OUT/asan/reports rc=0 runtime report
    install_dependencies clang libclang-rt-14-dev
    runtime=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
    log "building the core and the module with ASan and UBSan (clang, build/asan)"
    mkdir -p "$dir"
    cmake -S "$ROOT" -B "$core" -DMASTRA_AUTH_TESTS=OFF \
        -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$SANITIZE" >/dev/null
    cmake --build "$core" -j "$JOBS" >/dev/null
    # nginx's clang flags add -Wconditional-uninitialized, which gcc (the
    # real build) does not have, and which misreads a loop or two.
    build_module_in "$dir" "$core/src/core/libmastra_auth_core.a" \
        "$dir/ngx_http_mastra_auth_module.so" \
        "-g -O1 -fPIC $SANITIZE_MODULE -Wall -Wextra -Wno-unused-parameter -Wno-conditional-uninitialized -Werror" \
        "-fPIC $SANITIZE_MODULE -shared-libsan -Wl,-rpath,$(dirname "$runtime")" --with-cc=clang
    install_fixtures
    rm -rf "$reports"
    mkdir -p "$reports"
    chmod 1777 "$reports"   # workers run as nobody
    log "integration tests (prove) against the ASan/UBSan module"
    MASTRA_AUTH_MODULE=$dir/ngx_http_mastra_auth_module.so \
    MASTRA_AUTH_NGINX_ENV="LD_PRELOAD=$runtime
        ASAN_OPTIONS=detect_leaks=0:log_path=$reports/asan
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0:log_path=$reports/asan" \
        prove -I "$ROOT/t/lib" -r "$ROOT/t/" || rc=$?
    for report in "$reports"/*; do
        [ -f "$report" ] || continue
        log "sanitizer report: $report"
        cat "$report" >&2
        rc=1
    done
    [ "$rc" -eq 0 ] && log "ASan/UBSan: no reports"
    return "$rc"
}

# The prove suite with nginx under valgrind memcheck (the harness runs it
# when MASTRA_AUTH_VALGRIND names a log directory), then t/valgrind/check.pl
# over the logs: no memory error anywhere, no definite leak from our code
# (nginx's and glibc's own: t/valgrind/nginx.supp).  Slow (minutes): not
# part of ./build.sh test.  Left out, for their timing: key_server_faults.t
# ("answered at once while a fetch hangs" cannot hold when valgrind runs one
# thread at a time) and presets.t (a failed jwks_uri "asked once" within a
# retry delay that requests under valgrind outlast).
VALGRIND_SKIP=(key_server_faults presets)

run_valgrind() {
    local dir=$BUILD/valgrind rc=0 files=() t
    install_dependencies valgrind
    install_fixtures
    if [ $# -eq 0 ]; then
        for t in "$ROOT"/t/*.t; do
            [[ " ${VALGRIND_SKIP[*]} " == *" $(basename "$t" .t) "* ]] || files+=("$t")
        done
    fi
    for t in "$@"; do
        t=${t#t/}
        files+=("$ROOT/t/${t%.t}.t")
    done
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 1777 "$dir"   # workers run as nobody
    log "prove under valgrind memcheck: ${files[*]#"$ROOT"/}"
    MASTRA_AUTH_MODULE=$MODULE MASTRA_AUTH_VALGRIND=$dir \
        prove -I "$ROOT/t/lib" "${files[@]}" || rc=$?
    perl "$ROOT/t/valgrind/check.pl" "$dir"/valgrind.*.log || rc=1
    return "$rc"
}

# The compatibility matrix: for each nginx release tarball, that nginx and
# the module built (use_nginx: an unchanged tarball is not built again) and
# the whole prove suite run against it, one line a version, in the order
# given.  With no tarball named: ../shared/nginx/*.tar.gz beside the
# checkout, or beside the checkout a local clone was made from; the only
# place the build looks outside the checkout.  Each version's logs are in
# build/compat/VERSION.log.
compat_tarballs() {
    local origin base t
    origin=$(git -C "$ROOT" config --get remote.origin.url 2>/dev/null || true)
    for base in "$ROOT/.." ${origin:+"$origin/.."}; do
        for t in "$base"/shared/nginx/*.tar.gz; do
            [ -f "$t" ] && echo "$(cd "$(dirname "$t")" && pwd)/$(basename "$t")"
        done | grep . && return 0
    done
    return 0
}

# compat_one TARBALL: that nginx and the module for it, then prove; says
# "module built" between the two.  (Run where set -e does not hold.)
compat_one() {
    use_nginx "$1" && build_module && log "module built: $MODULE" \
        && MASTRA_AUTH_MODULE=$MODULE prove -I "$ROOT/t/lib" -r "$ROOT/t/"
}

run_compat() {
    local tarballs=("$@") t version logf built tests result rc=0 rows=()
    [ $# -gt 0 ] || mapfile -t tarballs < <(compat_tarballs)
    [ ${#tarballs[@]} -gt 0 ] \
        || { log "compat: no nginx tarball (name some: $0 compat nginx-X.Y.Z.tar.gz)"; return 1; }
    install_dependencies
    mkdir -p "$BUILD/compat"
    build_core
    install_fixtures
    for t in "${tarballs[@]}"; do
        version=$(basename "$t" .tar.gz)
        version=${version#nginx-}
        logf=$BUILD/compat/$version.log
        log "compat: nginx $version ($t)"
        result=PASS
        (compat_one "$t") >"$logf" 2>&1 || result=FAIL
        built=FAIL
        grep -q '^==> module built: ' "$logf" && built=ok
        tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$logf" | tail -1)
        if [ "$result" != PASS ]; then
            rc=1
            sed -n '/^Test Summary Report/,$p' "$logf" | grep . >&2 || tail -20 "$logf" >&2
        fi
        rows+=("$(printf '%-9s %-6s %-10s %s' "$version" "$built" "${tests:--}" "$result")")
        log "compat: nginx $version: build $built, result $result (${logf#"$ROOT"/})"
    done
    printf '%-9s %-6s %-10s %s\n' version build tests result
    printf '%s\n' "${rows[@]}"
    return "$rc"
}

run_demo() {
    local prefix=$BUILD/demo now user admin
    mkdir -p "$prefix/modules" "$prefix/logs" "$prefix/temp"
    ln -sf "$MODULE" "$prefix/modules/ngx_http_mastra_auth_module.so"

    if [ -z "${MASTRA_JWT_SECRET:-}" ]; then
        MASTRA_JWT_SECRET=$(openssl rand -hex 32)
        log "MASTRA_JWT_SECRET was unset: generated one for this run"
    fi
    export MASTRA_JWT_SECRET

    now=$(date +%s)
    user=$(mint_token "$MASTRA_JWT_SECRET" \
        "{\"sub\":\"user-1\",\"role\":\"user\",\"iat\":$now,\"exp\":$((now + 3600))}")
    admin=$(mint_token "$MASTRA_JWT_SECRET" \
        "{\"sub\":\"admin-1\",\"role\":\"admin\",\"iat\":$now,\"exp\":$((now + 3600))}")

    "$NGINX" -t -q -p "$prefix/" -c "$ROOT/conf-examples/quickstart.conf"

    cat <<EOT

nginx-mastra-auth demo: nginx on http://127.0.0.1:8080, demo upstream on :8081.
A valid token (sub user-1, role user, 1 hour):

  TOKEN=$user

Try, from another terminal:

  curl -i http://127.0.0.1:8080/api/health                                    # 200, public
  curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/agents   # 200, user forwarded
  curl -i http://127.0.0.1:8080/api/agents                                    # 401 Authentication required
  curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/admin/stats  # 403 Access denied
  curl -i -H "Authorization: Bearer $admin" http://127.0.0.1:8080/api/admin/stats  # 200, role admin

Ctrl-C stops nginx.

EOT
    exec "$NGINX" -p "$prefix/" -c "$ROOT/conf-examples/quickstart.conf" -g 'daemon off;'
}

# The Debian package, with Debian's own tooling (debian/: debhelper compat
# 13, dh_nginx and the nginx_mod build system of nginx-dev), built from a
# copy of the tree in build/deb, where dpkg-buildpackage writes the .deb
# (beside the source it builds) and debhelper its state.  lintian fails the
# build on an error; its warnings are printed (README: "Install").
DEB_PACKAGE=libnginx-mod-http-mastra-auth

build_deb() {
    local dir=$BUILD/deb version arch deb
    install_dependencies debhelper dpkg-dev lintian
    version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
    arch=$(dpkg-architecture -q DEB_HOST_ARCH)
    deb=$dir/${DEB_PACKAGE}_${version}_$arch.deb
    rm -rf "$dir"
    mkdir -p "$dir/src"
    tar -C "$ROOT" --exclude=./build --exclude=./.git --exclude=node_modules \
        --exclude=./debian/.debhelper --exclude="./debian/$DEB_PACKAGE" \
        --exclude=./debian/core-build --exclude='./obj-*' -c . | tar -C "$dir/src" -x
    log "building $DEB_PACKAGE $version (dpkg-buildpackage, build/deb)"
    (cd "$dir/src" && DEB_BUILD_OPTIONS="parallel=$JOBS" \
        dpkg-buildpackage -b -us -uc >"$dir/build.log" 2>&1) \
        || { tail -40 "$dir/build.log" >&2; exit 1; }
    log "lintian $(basename "$deb")"
    lintian --fail-on error "$deb" >&2
    echo "$deb"
}

[ -z "${NGINX_SRC:-}" ] || [ "${1:-}" = compat ] || use_nginx "$NGINX_SRC"
case "${1:-}" in
    "") build ;;
    demo) build >/dev/null; run_demo ;;
    test) build >/dev/null; run_tests; run_asan; run_fuzz "${FUZZ_SECONDS:-30}" ;;
    fuzz) build >/dev/null; run_fuzz "${2:-60}" ;;
    asan) install_dependencies; run_asan ;;
    valgrind) build >/dev/null; shift; run_valgrind "$@" ;;
    deb) build_deb ;;
    compat) shift; run_compat "$@" ;;
    bench) build >/dev/null; install_dependencies wrk valgrind; install_fixtures; build_per_worker_variant
        "$ROOT/t/bench/instructions" "$MODULE"
        exec "$ROOT/t/bench/run" "$MODULE" "${2:-10}" "$OUT/per-worker/ngx_http_mastra_auth_module.so" ;;
    *) echo "usage: $0 [demo|test|fuzz [SECONDS]|asan|valgrind [TEST...]|bench [SECONDS]|deb|compat [TARBALL...]]" >&2; exit 2 ;;
esac
