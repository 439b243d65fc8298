#!/bin/sh
# The registry image's entrypoint: `tiffin registry serve` configured from the environment.
#   TIFFIN_REGISTRY_STORAGE  blobs: a folder (the volume) or s3://bucket/prefix
#   TIFFIN_REGISTRY_DB       a database URL (default: SQLite inside a local storage folder)
#   TIFFIN_REGISTRY_TOKENS   the tokens file (default /run/secrets/tiffin-tokens, a mounted
#                            secret); required, since the image binds 0.0.0.0
#   PORT                     the port to listen on (5000)
# Arguments are passed on to `tiffin registry serve` (and win over these: --log-level debug).
set -eu
if [ -n "${TIFFIN_REGISTRY_DB:-}" ]; then
    set -- --db "$TIFFIN_REGISTRY_DB" "$@"
fi
TOKENS="${TIFFIN_REGISTRY_TOKENS-/run/secrets/tiffin-tokens}"
if [ -n "$TOKENS" ]; then
    if [ ! -f "$TOKENS" ]; then
        echo "error: no tokens file at $TOKENS: mount one (lines of 'TOKEN read|write'; see docs/registry.md) or set TIFFIN_REGISTRY_TOKENS to its path" >&2
        exit 1
    fi
    set -- --tokens "$TOKENS" "$@"
fi
exec tiffin registry serve --storage "${TIFFIN_REGISTRY_STORAGE:-/var/lib/tiffin-registry}" \
    --host 0.0.0.0 --port "${PORT:-5000}" "$@"
