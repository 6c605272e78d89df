#!/bin/sh
# Installs the Debian packages named as arguments (default: all the project uses) when they are
# missing. Only root installs; anyone else gets told what is missing. Never fails the build: a
# test that needs a missing program says so itself (PostgreSQL fails loudly, browsers and the
# Stripe CLI skip).
#   sh .ci/system-deps.sh [postgresql] [wrk] [chromium] [chromium-driver] [npm]
set -u
[ $# -gt 0 ] || set -- postgresql wrk chromium chromium-driver npm

has_postgres_server() {
    for bin in /usr/lib/postgresql/*/bin/initdb; do [ -x "$bin" ] && return 0; done
    command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]
}

present() {
    case "$1" in
        postgresql) has_postgres_server ;;
        chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ;;
        chromium-driver) command -v chromedriver >/dev/null 2>&1 ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

missing=""
for pkg in "$@"; do present "$pkg" || missing="$missing $pkg"; done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing:$missing (as root: apt-get install -y$missing)" >&2
    exit 0
fi
echo "system-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }; then
    echo "system-deps: WARNING: apt-get could not install$missing" >&2
fi
exit 0
