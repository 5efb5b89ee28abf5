#!/usr/bin/env bash
# The whole test suite, as the README and CI run it. It installs what the
# lab tests need (Debian packages, when run as root) and runs `go test ./...`.
# Under CI=true the lab tests run and fail loudly if anything is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the lab tests drive: nft (nftables), ip (iproute2), wg/wg-quick and
# wireguard-go (no kernel module here), turnserver and turnutils_natdiscovery
# (coturn, the RFC 5780 STUN server), ping, socat, and miniupnpd
# (miniupnpd-nftables: the NAT-PMP server of the lab routers; the package has
# no maintainer scripts, so installing it starts no daemon).
packages=(nftables iproute2 wireguard-tools wireguard-go coturn iputils-ping socat miniupnpd-nftables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "not root: lab tests will skip (missing: ${missing[*]})" >&2
  fi
fi
# coturn's package starts a system turnserver on some installs; the lab runs
# its own inside namespaces, so the packaged service is not needed.

go vet ./...
exec go test -shuffle=on -count=1 -timeout 15m "$@" ./...
