#!/usr/bin/env bash
# Refreshes vendor/mermaid/ from the npm registry: the one file `simulate --diagram` loads into
# Chromium (dist/mermaid.min.js, self-contained) and its licence, with the version and checksum
# that test/sim/vendor.test.ts checks. Usage: bash scripts/vendor-mermaid.sh 11.17.2
# (mermaid 12 needs Node 22.12 to install, but its browser bundle does not care: read its changelog
# before a major step all the same). docs/decisions.md says why Mermaid is vendored.
set -euo pipefail
version="${1:?usage: bash scripts/vendor-mermaid.sh VERSION (e.g. 11.17.2)}"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack checks the tarball against the registry's integrity (sha512) before writing it
npm pack "mermaid@$version" --pack-destination "$tmp" --loglevel=error >/dev/null
tar -xzf "$tmp/mermaid-$version.tgz" -C "$tmp" package/dist/mermaid.min.js package/LICENSE
mkdir -p vendor/mermaid
cp "$tmp/package/dist/mermaid.min.js" "$tmp/package/LICENSE" vendor/mermaid/
echo "$version" >vendor/mermaid/VERSION
(cd vendor/mermaid && sha256sum mermaid.min.js LICENSE >SHA256SUMS)
echo "vendor/mermaid: mermaid $version ($(wc -c <vendor/mermaid/mermaid.min.js) bytes)"
