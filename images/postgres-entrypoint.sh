#!/bin/bash
# firedrill/postgres:15 — the official image's interface (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB, PGDATA, POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD) over Debian's postgresql.
set -euo pipefail

# `docker run IMAGE -c fsync=off` means the server with those flags.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

# Postgres refuses to run as root: prepare the directories, then run this script as postgres.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        echo "firedrill/postgres: the database is not initialised and POSTGRES_PASSWORD is empty;" \
            "set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow any connection)" >&2
        exit 1
    fi
    template=/usr/share/firedrill/pgdata-template.tar
    if [ -z "${POSTGRES_INITDB_ARGS:-}" ] && [ -s "$template" ]; then
        # The image's ready-made cluster (superuser postgres, UTF-8, C.UTF-8): unpacked, then the
        # user, password and database through one single-user session.
        tar -C "$PGDATA" -xf "$template"
        sql_user=${user//\"/\"\"}
        sql_password=${POSTGRES_PASSWORD:-}
        sql_password=${sql_password//\'/\'\'}
        {
            if [ "$user" = postgres ]; then
                [ -z "${POSTGRES_PASSWORD:-}" ] || printf "ALTER ROLE postgres PASSWORD '%s';\n" "$sql_password"
            else
                printf "CREATE ROLE \"%s\" SUPERUSER LOGIN%s;\n" "$sql_user" \
                    "${POSTGRES_PASSWORD:+ PASSWORD '$sql_password'}"
            fi
            if [ "$db" != postgres ]; then
                printf 'CREATE DATABASE "%s" OWNER "%s";\n' "${db//\"/\"\"}" "$sql_user"
            fi
        } | postgres --single -F -D "$PGDATA" postgres >/dev/null 2>/tmp/single-user.log
        # Single-user mode reports a failed statement and goes on: look for it.
        if grep -q 'ERROR:' /tmp/single-user.log; then
            cat /tmp/single-user.log >&2
            exit 1
        fi
    else
        pwfile_args=()
        if [ -n "${POSTGRES_PASSWORD:-}" ]; then
            pwfile=$(mktemp)
            printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
            pwfile_args=(--pwfile="$pwfile")
        fi
        # --no-sync: initdb's fsyncs are 2.5 of its 3.7 seconds and guard only against the
        # machine crashing during init; a killed container keeps everything in the page cache.
        # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, split on purpose
        initdb --username="$user" "${pwfile_args[@]}" --no-sync ${POSTGRES_INITDB_ARGS:-} \
            -D "$PGDATA" >/dev/null
        rm -f "${pwfile:-}"
        if [ "$db" != postgres ]; then
            printf 'CREATE DATABASE "%s";\n' "${db//\"/\"\"}" | postgres --single -F -D "$PGDATA" postgres >/dev/null
        fi
    fi
    # Sockets in the container trust; every host, by name or address, uses $auth.
    printf '%s\n' 'local all all trust' "host all all all $auth" \
        'local replication all trust' "host replication all all $auth" > "$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    scripts=(/docker-entrypoint-initdb.d/*)
    if [ -e "${scripts[0]}" ]; then
        # A socket-only server for the init scripts; its log stays out of the container's, so
        # "ready to accept connections" is printed once, by the real server.
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -l /tmp/initdb-server.log -w start >/dev/null
        for script in "${scripts[@]}"; do
            case $script in
                *.sql) psql -v ON_ERROR_STOP=1 -U "$user" -d "$db" -f "$script" ;;
                *.sh) # shellcheck disable=SC1090
                      . "$script" ;;
                *) echo "firedrill/postgres: ignoring $script" >&2 ;;
            esac
        done
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    echo "firedrill/postgres: initialised $PGDATA (user $user, database $db)" >&2
fi

exec "$@"
