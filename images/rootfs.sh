#!/bin/sh
# Root filesystems for firedrill's images, built from Debian packages with no registry. Run as
# root by `firedrill images build` (src/environment/images.rs), which passes every input.
#   rootfs.sh base DIR MIRROR DEB_CACHE        ($FIREDRILL_SOURCES_LIST: the sources.list to write)
#   rootfs.sh install DIR DEB_CACHE IMAGE PACKAGE...
set -eu

strip_rootfs() {
    dir=$1
    rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
        "$dir"/usr/share/locale/* "$dir"/usr/share/lintian/* \
        "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
        "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/var/log/apt/* "$dir"/tmp/*
}

base() {
    dir=$1 mirror=$2 debs=$3
    debootstrap --variant=minbase --cache-dir="$debs" bookworm "$dir" "$mirror"
    # An image is not a machine: no package may start its service while it installs.
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    cat > "$dir/etc/dpkg/dpkg.cfg.d/01-firedrill-nodoc" <<'CFG'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
CFG
    cat > "$dir/etc/apt/apt.conf.d/01-firedrill" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
    printf '%s' "$FIREDRILL_SOURCES_LIST" > "$dir/etc/apt/sources.list"
    strip_rootfs "$dir"
    # The package lists stay in the cached rootfs for the images built on it (not in images).
    chroot "$dir" apt-get update -q
}

before_postgres() {
    # The entrypoint runs initdb into PGDATA; Debian's own cluster would only cost time.
    mkdir -p "$1/etc/postgresql-common"
    echo 'create_main_cluster = false' > "$1/etc/postgresql-common/createcluster.conf"
}

after_postgres() {
    dir=$1
    test -x "$dir/usr/lib/postgresql/15/bin/postgres"
    # No JIT in drills: its LLVM runtime is 130 MB of a 200 MB image. Without llvmjit.so the
    # server turns JIT off by itself.
    rm -rf "$dir"/usr/lib/postgresql/15/lib/llvmjit* "$dir"/usr/lib/postgresql/15/lib/bitcode \
        "$dir"/usr/lib/x86_64-linux-gnu/libLLVM-* "$dir"/usr/lib/x86_64-linux-gnu/libz3.so*
    mkdir -p "$dir/var/lib/postgresql/data" "$dir/var/run/postgresql"
    chroot "$dir" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
}

before_redis() { :; }

after_redis() {
    dir=$1
    test -x "$dir/usr/bin/redis-server"
    mkdir -p "$dir/data"
    chroot "$dir" chown redis:redis /data
}

install() {
    dir=$1 debs=$2 image=$3
    shift 3
    archives=$dir/var/cache/apt/archives
    "before_$image" "$dir"
    # Packages fetched by earlier builds are reused as hard links (same filesystem, no copy);
    # apt checks each one against the index before it uses it.
    find "$debs" -maxdepth 1 -name '*.deb' -exec cp -l -n -t "$archives" {} +
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
    find "$archives" -maxdepth 1 -name '*.deb' -exec cp -l -n -t "$debs" {} +
    "after_$image" "$dir"
    strip_rootfs "$dir"
}

command=$1
shift
case $command in
    base) base "$@" ;;
    install) install "$@" ;;
    *) echo "rootfs.sh: unknown step $command" >&2; exit 2 ;;
esac
