#!/bin/sh
# The base root filesystem of firedrill's images: Debian bookworm, minimal, from the machine's
# own mirror. Run as root by `firedrill images build` (src/environment/images.rs); the result is
# cached and every other image is installed on a copy of it (images/rootfs.sh).
#   debootstrap.sh DIR MIRROR DEB_CACHE   ($FIREDRILL_SOURCES_LIST: the sources.list to write)
set -eu

strip_rootfs() {
    dir=$1
    rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
        "$dir"/usr/share/locale/* "$dir"/usr/share/lintian/* \
        "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
        "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/var/log/apt/* "$dir"/tmp/*
}

bootstrap() {
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

bootstrap "$@"
