#!/bin/sh
# An image's root filesystem: packages installed with apt-get in a chroot, on a copy of the base
# (images/debootstrap.sh). Run as root by `firedrill images build` (src/environment/images.rs).
#   rootfs.sh install DIR DEB_CACHE IMAGE PACKAGE...
set -eu

strip_rootfs() {
    dir=$1
    rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
        "$dir"/usr/share/locale/* "$dir"/usr/share/lintian/* \
        "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
        "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/var/log/apt/* "$dir"/tmp/*
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
    mkdir -p "$dir/var/lib/postgresql/data" "$dir/var/run/postgresql" "$dir/usr/share/firedrill"
    chroot "$dir" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql /usr/share/firedrill
    # A cluster initialised once, here, kept as one tar file: the entrypoint unpacks it into an
    # empty PGDATA instead of running initdb (0.4 s instead of 1.5 to 2.5 s at every start; a
    # single file because reading a thousand small ones through fuse-overlayfs is what is slow).
    template=/usr/share/firedrill/pgdata-template
    chroot "$dir" env LANG=C.UTF-8 setpriv --reuid=postgres --regid=postgres --init-groups \
        /usr/lib/postgresql/15/bin/initdb --username=postgres --auth-local=trust \
        --auth-host=scram-sha-256 --no-sync -D "$template" >/dev/null
    tar --numeric-owner -C "$dir$template" -cf "$dir$template.tar" .
    rm -rf "${dir:?}$template"
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
    install) install "$@" ;;
    *) echo "rootfs.sh: unknown step $command" >&2; exit 2 ;;
esac
