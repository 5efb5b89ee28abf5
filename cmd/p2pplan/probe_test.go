package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/measurement"
)

// TestProbeUsage: bad flags exit 2 and nothing is sent (the checks run
// before any socket is opened).
func TestProbeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"probe"}, // --server is required: no default public server
		{"probe", "--server", "192.0.2.1"},
		{"probe", "--server", "192.0.2.1:0"},
		{"probe", "--server", "192.0.2.1:99999"},
		{"probe", "--server", "192.0.2.1:3478", "--local", "not-an-ip"},
		{"probe", "--server", "192.0.2.1:3478", "--wan-ipv4", "2001:db8::1"},
		{"probe", "--server", "192.0.2.1:3478", "--timeout", "soon"},
		{"probe", "--server", "192.0.2.1:3478", "--bogus"},
		{"probe", "extra-arg", "--server", "192.0.2.1:3478"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitInput {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitInput, errb.String())
		}
	}
}

// TestProbeNoSocket: a local address the host does not own cannot be bound:
// an environment failure, exit 3. Nothing is sent.
func TestProbeNoSocket(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"probe", "--server", "192.0.2.1:3478", "--local", "192.0.2.254"}, &out, &errb)
	if code != exitEnv {
		t.Errorf("exit %d, want %d (%s)", code, exitEnv, errb.String())
	}
}

// TestProbeLab runs the built command inside lab namespaces: exit 0 with
// JSON for a measurement, 0 for UDP blocked, 3 for a name that does not
// resolve (in a namespace with loopback only, so no query leaves the lab).
func TestProbeLab(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl", "go")
	bin := filepath.Join(t.TempDir(), "p2pplan")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l := lab.New(t)
	n := l.BuildNAT(lab.TopoUDPBlocked)
	out, err := n.Client.Run(bin, "probe", "--server", n.Server.Primary.String(), "--json")
	if err != nil {
		t.Fatalf("udp blocked must exit 0: %v", err)
	}
	var m measurement.Measurement
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !m.UDPBlocked || m.NAT != measurement.UDPBlocked {
		t.Errorf("got %+v", m)
	}
	text, err := n.Client.Run(bin, "probe", "--server", n.Server.Primary.String(), "--timeout", "200ms")
	if err != nil || !strings.Contains(text, "UDP blocked:   yes") {
		t.Errorf("text output: %v\n%s", err, text)
	}

	lonely := l.Namespace("lonely")
	cmd := exec.Command("ip", "netns", "exec", lonely.Name(), bin, "probe", "--server", "stun.p2pplan.invalid:3478")
	o, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != exitEnv {
		t.Errorf("unresolvable server: %v, want exit %d\n%s", err, exitEnv, o)
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}
