package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"
)

var wgSeq atomic.Int64

// WireGuardInterface starts wireguard-go in the foreground inside the
// namespace (so teardown kills it by PID; `wg-quick up` would daemonize it
// out of the lab's reach) and waits until `wg` can talk to it. The name is
// unique per process: wireguard-go's control socket lives in
// /var/run/wireguard, which all namespaces share.
func (n *NS) WireGuardInterface(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("p2w%d-%d", os.Getpid()%100000, wgSeq.Add(1))
	p := n.Start("env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", name)
	if !WaitFor(5*time.Second, func() bool { _, err := n.Run("wg", "show", name); return err == nil }) {
		t.Fatalf("wireguard-go %s did not come up in %s: %s", name, n.Name(), p.Log())
	}
	return name
}

// WgQuickStrip runs `wg-quick strip` on a wg-quick config (written as
// dir/name) and returns the `wg setconf` form. It only parses text.
func WgQuickStrip(dir, name string, conf []byte) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, conf, 0o600); err != nil {
		return "", err
	}
	out, err := exec.Command("wg-quick", "strip", p).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("wg-quick strip: %v: %s", err, out)
	}
	return string(out), nil
}

var endpointName = regexp.MustCompile(`(?m)^(Endpoint = )[A-Za-z][A-Za-z0-9.-]*:`)

// LabEndpoints rewrites host-name endpoints to addr (same port): `wg
// setconf` resolves names, and the lab has no DNS and must send nothing
// out. The syntax under test is unchanged.
func LabEndpoints(conf []byte, addr string) []byte {
	return endpointName.ReplaceAll(conf, []byte("${1}"+addr+":"))
}
