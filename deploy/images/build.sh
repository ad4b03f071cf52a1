#!/usr/bin/env bash
# `make images`: the four service images, built with buildah from the repository root.
#
#   deploy/images/build.sh [SERVICE...]        default: identity ingest catalog issuance portal console
#
# Environment (all optional):
#   TAG             image tag (default: the version in services/<svc>/pyproject.toml)
#   IMAGE_PREFIX    image name prefix (default: localhost/medrec-); images are PREFIX<svc>:TAG
#   BASE_IMAGE      runtime base (default: localhost/medrec-base:bookworm, built here by
#                   build-base.sh with debootstrap when missing)
#   BUILD_IMAGE     build-stage base (default: BASE_IMAGE)
#   PYTHON          python3 inside the base (default: /usr/bin/python3)
#   UV_VERSION      uv used inside the build stage (default: the repository's .tools/bin/uv)
#   BUILD_CA        CA bundle that lets the build stage reach the package index (default: this
#                   machine's /etc/ssl/certs/ca-certificates.crt); passed as a build secret
#   STORAGE_DRIVER  buildah storage driver (default: vfs, which works without overlay support)
#   ISOLATION       buildah isolation (default: chroot, which works inside containers)
set -euo pipefail
cd "$(dirname "$0")/../.."

SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(identity ingest catalog issuance portal console)
IMAGE_PREFIX="${IMAGE_PREFIX:-localhost/medrec-}"
BASE_IMAGE="${BASE_IMAGE:-localhost/medrec-base:bookworm}"
BUILD_IMAGE="${BUILD_IMAGE:-$BASE_IMAGE}"
PYTHON="${PYTHON:-/usr/bin/python3}"
STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
ISOLATION="${ISOLATION:-chroot}"
export STORAGE_DRIVER
BUILDAH=(buildah --storage-driver "$STORAGE_DRIVER")

command -v buildah >/dev/null || {
    echo "images: buildah is missing (apt-get install buildah debootstrap)" >&2
    exit 1
}

if [ -z "${UV_VERSION:-}" ]; then
    if [ -x .tools/bin/uv ]; then
        UV_VERSION="$(.tools/bin/uv --version | awk '{print $2}')"
    else
        UV_VERSION=0.13.9
    fi
fi

if ! "${BUILDAH[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    if [ "$BASE_IMAGE" = localhost/medrec-base:bookworm ]; then
        deploy/images/build-base.sh "$BASE_IMAGE"
    else
        echo "images: base image $BASE_IMAGE is not in buildah's $STORAGE_DRIVER storage;" \
            "pull it first (buildah pull $BASE_IMAGE)" >&2
        exit 1
    fi
fi

secret=()
ca="${BUILD_CA-/etc/ssl/certs/ca-certificates.crt}"
if [ -n "$ca" ] && [ -s "$ca" ]; then
    secret=(--secret "id=build-ca,src=$ca")
fi

built=()
for svc in "${SERVICES[@]}"; do
    containerfile="deploy/images/$svc/Containerfile"
    [ -f "$containerfile" ] || { echo "images: no $containerfile" >&2; exit 1; }
    project="services/$svc"; [ -d "$project" ] || project="$svc"  # the portal is portal/, the console console/
    tag="${TAG:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$project/pyproject.toml" | head -n1)}"
    image="$IMAGE_PREFIX$svc:$tag"
    echo "images: building $image (base $BASE_IMAGE, uv $UV_VERSION, storage $STORAGE_DRIVER)"
    started=$SECONDS
    log="$(mktemp /tmp/medrec-image-"$svc".XXXXXX.log)"
    # No --layers: with vfs every cached layer is a full copy of the filesystem; the uv cache
    # mount already makes a rebuild fast (dependencies come from the cache, not the index).
    if ! "${BUILDAH[@]}" bud --isolation "$ISOLATION" --network host \
        --ignorefile deploy/images/containerignore \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "BUILD_IMAGE=$BUILD_IMAGE" \
        --build-arg "PYTHON=$PYTHON" --build-arg "UV_VERSION=$UV_VERSION" \
        "${secret[@]}" \
        --label "org.opencontainers.image.version=$tag" \
        --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
        -f "$containerfile" -t "$image" . >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "images: $image failed; full log in $log" >&2
        exit 1
    fi
    rm -f "$log"
    echo "images: $image built in $((SECONDS - started)) s"
    built+=("$image")
done

# Dangling build-stage images are not kept: they are a full copy each under vfs.
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
echo
printf '%-40s %s\n' IMAGE SIZE
for image in "$BASE_IMAGE" "${built[@]}"; do
    size="$("${BUILDAH[@]}" images --format '{{.Size}}' "$image" | head -n1)"
    printf '%-40s %s\n' "$image" "$size"
done
