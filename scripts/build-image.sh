#!/usr/bin/env bash
# Build the readyctl container image from Containerfile with a daemonless
# builder (buildah, else podman). The binary is built here, statically
# (CGO_ENABLED=0, -trimpath), for linux/$GOARCH, and copied in with the
# host's CA bundle: the image is FROM scratch, nothing is pulled.
#
#   scripts/build-image.sh                      # tag readyctl:dev
#   IMAGE=ghcr.io/acme/readyctl:v1.2.0 VERSION=v1.2.0 scripts/build-image.sh
#
# Environment: IMAGE (tag), VERSION (readyctl version), GOARCH,
# CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt),
# BUILDAH_FLAGS (e.g. "--storage-driver vfs" where overlay is unavailable).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
image=${IMAGE:-readyctl:dev}
version=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
arch=${GOARCH:-$(go env GOARCH)}

if [ ! -s "$ca" ]; then
	echo "build-image: no CA bundle at $ca (Debian: apt-get install ca-certificates; or set CA_BUNDLE)" >&2
	exit 1
fi
if command -v buildah >/dev/null; then
	builder=(buildah ${BUILDAH_FLAGS:-} build --isolation "${BUILDAH_ISOLATION:-chroot}")
elif command -v podman >/dev/null; then
	builder=(podman build)
else
	echo "build-image: neither buildah nor podman found (Debian: apt-get install buildah)" >&2
	exit 1
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath \
	-ldflags "-s -w -X github.com/readyctl/readyctl/internal/cli.Version=$version" \
	-o "$ctx/readyctl" ./cmd/readyctl)
cp "$ca" "$ctx/ca-certificates.crt"
"${builder[@]}" --arch "$arch" -f "$root/Containerfile" -t "$image" "$ctx"
echo "build-image: built $image (readyctl $version, linux/$arch)" >&2
