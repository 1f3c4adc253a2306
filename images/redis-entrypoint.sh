#!/bin/bash
# firedrill/redis:7 — Debian's redis-server without Debian's config file: listens on every
# interface, no protected mode, in the foreground; extra arguments are passed through (later wins).
set -euo pipefail

if [ "${1:0:1}" = '-' ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" != redis-server ]; then
    exec "$@"
fi
shift
if [ $# -gt 0 ] && [ "${1%.conf}" != "$1" ]; then
    # A config file of the user's own: it decides, as with the official image.
    set -- redis-server "$@"
else
    set -- redis-server --bind 0.0.0.0 --protected-mode no --daemonize no --dir /data "$@"
fi
if [ "$(id -u)" = 0 ]; then
    mkdir -p /data
    chown redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
