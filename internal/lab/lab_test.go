package lab

import (
	"os/exec"
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"192.0.2.1/24", "198.51.100.7", "203.0.113.9/32", "100.64.0.1/24", "10.9.0.1/24", "192.168.1.1/24", "2001:db8::1/64", "fd00::1/64"} {
		if err := CheckAddress(ok); err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"8.8.8.8", "1.1.1.1/32", "10.0.0.1/8", "2a00::1/64", "0.0.0.0/0", "nonsense"} {
		if err := CheckAddress(bad); err == nil {
			t.Errorf("CheckAddress(%q) = nil, want an error", bad)
		}
	}
}

func TestLabPing(t *testing.T) {
	Require(t, "ping")
	l := New(t)
	a, b := l.Namespace("a"), l.Namespace("b")
	l.Link(a, "veth-a", []string{"192.0.2.1/24"}, b, "veth-b", []string{"192.0.2.2/24"})
	out := a.MustRun("ping", "-c1", "-W1", "192.0.2.2")
	if !strings.Contains(out, "1 received") {
		t.Fatalf("ping: %s", out)
	}
	// Go code run through Do sees the namespace's interfaces, not the host's.
	if err := b.Do(func() error {
		out, err := exec.Command("ip", "-br", "addr").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "192.0.2.2") {
			t.Errorf("inside %s: %v %s", b.Name(), err, out)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
