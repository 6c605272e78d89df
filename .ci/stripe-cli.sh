#!/bin/sh
# Installs the official Stripe CLI from npm into var/stripe-cli (gitignored), for the tests that
# drive the service with `stripe listen` / `stripe trigger` against the emulator. The Linux binary
# ships inside the npm package @stripe/cli-linux-x64; --ignore-scripts keeps the wrapper's
# postinstall (a download from GitHub when no platform package fits) from running. Never fails
# the build: without npm the CLI tests skip and say why.
#   sh .ci/stripe-cli.sh
set -u
VERSION=1.52.0
DIR=var/stripe-cli
BIN=$DIR/node_modules/@stripe/cli-linux-x64/bin/stripe

if [ -x "$BIN" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/@stripe/cli/package.json" 2>/dev/null; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "stripe-cli: npm is missing, the Stripe CLI tests will skip (as root: apt-get install -y npm)" >&2
    exit 0
fi
echo "stripe-cli: installing @stripe/cli@$VERSION into $DIR" >&2
mkdir -p "$DIR"
if ! npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
        "@stripe/cli@$VERSION" >/dev/null; then
    echo "stripe-cli: WARNING: npm could not install @stripe/cli@$VERSION" >&2
fi
exit 0
