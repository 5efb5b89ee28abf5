#!/bin/sh
# Times `p2pplan probe` and coturn's turnutils_natdiscovery side by side, in
# the same lab topology (network namespaces, nftables routers, coturn as the
# RFC 5780 server; SPEC §9: nothing leaves the lab), and prints medians and
# ratios per topology. Needs root, nft, turnserver, turnutils_natdiscovery.
#
#   sudo bench/probe.sh            # 7 runs per tool and topology
#   RUNS=11 sudo bench/probe.sh
#   OUT=/tmp/bench.md sudo bench/probe.sh   # also writes the table there
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/p2pplan" ./cmd/p2pplan
P2PPLAN_BENCH=1 P2PPLAN_BIN="$tmp/p2pplan" P2PPLAN_BENCH_RUNS="${RUNS:-7}" \
P2PPLAN_BENCH_OUT="${OUT:-$tmp/bench.md}" \
	go test -count=1 -run 'TestBenchVsNatdiscovery' -v -timeout 30m ./internal/natprobe/ |
	grep -E -e '--- (PASS|FAIL)' -e '^(ok|FAIL)' -e 'Error' -e 'want' || true
echo
cat "${OUT:-$tmp/bench.md}" 2>/dev/null || true
