#!/usr/bin/env bash
# Builds the runtime base image of every medrec service from Debian's own packages, with no
# registry to pull from: debootstrap (variant minbase) + python3, ca-certificates and tzdata,
# trimmed of documentation and package caches, committed with buildah.
#
#   deploy/images/build-base.sh [IMAGE]        default IMAGE: localhost/medrec-base:bookworm
#
# Environment:
#   SUITE          Debian suite (default: bookworm, whose python3 is 3.11 like the lock's floor)
#   DEBIAN_MIRROR  mirror URL (default: the first Debian URI in this machine's apt sources)
#   STORAGE_DRIVER buildah storage driver (default: vfs; works without overlay support)
# Anywhere a registry is reachable, `BASE_IMAGE=debian:bookworm-slim`-style images with python3
# installed serve as well (build.sh: BASE_IMAGE, PYTHON; docs/operations.md, "Images").
set -euo pipefail

IMAGE="${1:-localhost/medrec-base:bookworm}"
SUITE="${SUITE:-bookworm}"
STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
BUILDAH=(buildah --storage-driver "$STORAGE_DRIVER")

for tool in buildah debootstrap; do
    command -v "$tool" >/dev/null || {
        echo "build-base: $tool is missing (apt-get install buildah debootstrap)" >&2
        exit 1
    }
done
[ "$(id -u)" = 0 ] || { echo "build-base: debootstrap needs root" >&2; exit 1; }

if "${BUILDAH[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1 && [ -z "${REBUILD:-}" ]; then
    echo "build-base: $IMAGE exists (REBUILD=1 to build it again)"
    exit 0
fi

mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    # deb822 sources first, then the one-line format; the first URI of the main archive.
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
        | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            | awk '{print $2}' | grep '/debian/\?$' | head -n1 || true)
    fi
    [ -n "$uri" ] || { echo "build-base: no Debian mirror found; set DEBIAN_MIRROR" >&2; exit 1; }
    echo "$uri"
}

MIRROR="$(mirror)"
WORK="$(mktemp -d /var/tmp/medrec-base.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"

echo "build-base: debootstrap $SUITE (minbase) from the host's Debian mirror"
debootstrap --variant=minbase --include=python3,ca-certificates,tzdata \
    "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
}

# Trim: package lists and caches, documentation, man pages, translations, logs.
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/debconf/*-old \
    "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* \
    "$ROOT"/usr/share/locale/* "$ROOT"/usr/share/lintian "$ROOT"/var/log/*.log \
    "$ROOT"/var/log/apt/* "$ROOT"/tmp/* "$ROOT"/root/.cache
: >"$ROOT/etc/machine-id"
# Never pull docs or recommends back in through apt (the build stages install a little).
cat >"$ROOT/etc/apt/apt.conf.d/90medrec-slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/90medrec-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF

PYTHON_VERSION="$(chroot "$ROOT" python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
echo "build-base: python $PYTHON_VERSION; committing $IMAGE"
ctr="$("${BUILDAH[@]}" from scratch)"
mnt="$("${BUILDAH[@]}" mount "$ctr")"
cp -a "$ROOT"/. "$mnt"/
"${BUILDAH[@]}" umount "$ctr" >/dev/null
"${BUILDAH[@]}" config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --env PYTHON_VERSION="$PYTHON_VERSION" \
    --cmd /bin/bash \
    --label org.opencontainers.image.title=medrec-base \
    --label org.opencontainers.image.description="Debian $SUITE minbase with python3 (debootstrap)" \
    --label org.opencontainers.image.base.name="debian:$SUITE (debootstrap minbase)" \
    "$ctr"
"${BUILDAH[@]}" commit --rm --quiet "$ctr" "$IMAGE" >/dev/null
"${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$IMAGE"
