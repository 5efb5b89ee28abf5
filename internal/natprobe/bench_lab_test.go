package natprobe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/measurement"
)

// benchToolTimeout bounds one turnutils_natdiscovery run: it waits ~3 s per
// unanswered request, a few requests in a row; anything beyond 30 s is hung.
const benchToolTimeout = 30 * time.Second

// TestBenchVsNatdiscovery times `p2pplan probe` and coturn's
// turnutils_natdiscovery side by side, in the same lab topology, with the
// same server. Run by bench/probe.sh (P2PPLAN_BENCH=1, P2PPLAN_BIN=binary);
// skipped otherwise so the normal test run stays fast.
func TestBenchVsNatdiscovery(t *testing.T) {
	if os.Getenv("P2PPLAN_BENCH") != "1" {
		t.Skip("benchmark: run bench/probe.sh")
	}
	bin := os.Getenv("P2PPLAN_BIN")
	if bin == "" {
		t.Fatal("P2PPLAN_BIN: path of a built p2pplan binary")
	}
	lab.Require(t, "nft", "turnserver", "turnutils_natdiscovery", "sysctl", "miniupnpd")
	runs := 7
	if s := os.Getenv("P2PPLAN_BENCH_RUNS"); s != "" {
		fmt.Sscan(s, &runs)
	}
	type row struct {
		topo                    lab.Topology
		ours, theirs            time.Duration
		oursNAT, theirsVerdicts string
	}
	var rows []row
	for _, topo := range lab.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			l := lab.New(t)
			n := l.BuildNAT(topo)
			server := n.Server.Primary
			var ours, theirs []time.Duration
			var lastNAT, lastTheirs string
			for i := 0; i < runs; i++ {
				start := time.Now()
				out, err := n.Client.Run(bin, "probe", "--server", server.String(), "--json")
				ours = append(ours, time.Since(start))
				if err != nil {
					t.Fatalf("p2pplan probe: %v", err)
				}
				var m measurement.Measurement
				if err := json.Unmarshal([]byte(out), &m); err != nil {
					t.Fatalf("p2pplan probe output: %v\n%s", err, out)
				}
				lastNAT = m.NAT
				if m.OperatorNAT {
					lastNAT += " + operator NAT"
				}
				if w := labExpect[topo]; m.NAT != w.nat {
					t.Errorf("run %d: p2pplan said %s, want %s", i, m.NAT, w.nat)
				}

				ctx, cancel := context.WithTimeout(context.Background(), benchToolTimeout)
				cmd := exec.CommandContext(ctx, "ip", "netns", "exec", n.Client.Name(),
					"turnutils_natdiscovery", "-m", "-f", "-p", fmt.Sprint(server.Port()), server.Addr().String())
				start = time.Now()
				o, _ := cmd.CombinedOutput() // it exits non-zero on some verdicts
				theirs = append(theirs, time.Since(start))
				cancel()
				lastTheirs = natdiscoverySummary(string(o))
			}
			r := row{topo: topo, ours: median(ours), theirs: median(theirs), oursNAT: lastNAT, theirsVerdicts: lastTheirs}
			rows = append(rows, r)
			if r.ours > time.Second {
				t.Errorf("p2pplan median %v > 1 s", r.ours)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs; %d runs per tool and topology; medians of wall time (process start to exit)\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runs)
	fmt.Fprintf(&b, "| topology | p2pplan probe | turnutils_natdiscovery -m -f | natdiscovery ÷ p2pplan | p2pplan verdict | natdiscovery verdict |\n|---|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.0f ms | %.0f ms | %.1fx | %s | %s |\n", r.topo, ms(r.ours), ms(r.theirs), float64(r.theirs)/float64(r.ours), r.oursNAT, r.theirsVerdicts)
	}
	t.Log("\n" + b.String())
	if p := os.Getenv("P2PPLAN_BENCH_OUT"); p != "" {
		_ = os.WriteFile(p, []byte(b.String()), 0o644)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// natdiscoverySummary keeps the verdict lines of turnutils_natdiscovery.
func natdiscoverySummary(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		low := strings.ToLower(line)
		if strings.Contains(low, "mapping") && strings.Contains(low, "nat") || strings.Contains(low, "filtering") && strings.Contains(low, "nat") || strings.Contains(low, "no nat") {
			keep = append(keep, line)
		}
	}
	if len(keep) == 0 {
		return "no verdict"
	}
	return strings.Join(keep, "; ")
}
