// Package lab builds throw-away hosts in network namespaces for tests that
// need real kernels: nftables, WireGuard tunnels and NAT routers (SPEC §9).
//
// The rules it enforces:
//   - no namespace is ever connected to the host's network namespace: veth
//     pairs are created inside a lab namespace with their peer moved straight
//     into another lab namespace, and no default route points outside the lab;
//   - addresses come only from the documentation ranges (192.0.2.0/24,
//     198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), operator NAT space
//     (100.64.0.0/10) or small private ranges, and are refused otherwise;
//   - every namespace and process is torn down by name and PID in t.Cleanup,
//     even when the test fails.
package lab

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// InCI reports whether the lab must run (CI=true): then a missing tool or a
// missing privilege is a failure, never a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require stops the test when the lab cannot be built here: it fails under
// CI=true and skips elsewhere, naming what is missing.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (network namespaces need CAP_SYS_ADMIN)")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "lab test needs: " + strings.Join(missing, ", ") + " (the README's test command installs them when run as root)"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var labSeq atomic.Int64

// Lab owns a set of namespaces and processes.
type Lab struct {
	t      testing.TB
	prefix string

	mu    sync.Mutex
	nss   []*NS
	procs []*exec.Cmd
}

// New starts a lab whose teardown is registered with t.Cleanup.
func New(t testing.TB) *Lab {
	t.Helper()
	l := &Lab{t: t, prefix: fmt.Sprintf("p2pl%d-%d", os.Getpid()%100000, labSeq.Add(1))}
	t.Cleanup(l.teardown)
	return l
}

// NS is one namespace of the lab.
type NS struct {
	lab  *Lab
	name string
}

// Name is the namespace's name as `ip netns` knows it.
func (n *NS) Name() string { return n.name }

// Namespace creates a namespace with loopback up.
func (l *Lab) Namespace(short string) *NS {
	l.t.Helper()
	name := l.prefix + "-" + short
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		l.t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	ns := &NS{lab: l, name: name}
	l.mu.Lock()
	l.nss = append(l.nss, ns)
	l.mu.Unlock()
	ns.MustRun("ip", "link", "set", "lo", "up")
	return ns
}

// Link connects a and b with a veth pair and assigns the given addresses
// (CIDR notation). The pair is created inside a, its peer moved straight into
// b: it never exists in the host's namespace.
func (l *Lab) Link(a *NS, aIf string, aAddrs []string, b *NS, bIf string, bAddrs []string) {
	l.t.Helper()
	for _, addr := range append(append([]string{}, aAddrs...), bAddrs...) {
		if err := CheckAddress(addr); err != nil {
			l.t.Fatal(err)
		}
	}
	a.MustRun("ip", "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.name)
	for _, side := range []struct {
		ns    *NS
		ifc   string
		addrs []string
	}{{a, aIf, aAddrs}, {b, bIf, bAddrs}} {
		for _, addr := range side.addrs {
			args := []string{"addr", "add", addr, "dev", side.ifc}
			if strings.Contains(addr, ":") {
				args = []string{"-6", "addr", "add", addr, "dev", side.ifc, "nodad"}
			}
			side.ns.MustRun(append([]string{"ip"}, args...)...)
		}
		side.ns.MustRun("ip", "link", "set", side.ifc, "up")
	}
}

// labPrefixes are the only ranges a lab may use (SPEC §9).
var labPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fd00::/8"),
}

// CheckAddress refuses an address (or CIDR) outside the lab's ranges, or a
// private prefix wider than a /16, so a typo can never route lab traffic
// toward a real network.
func CheckAddress(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return fmt.Errorf("lab: %q is not an address: %v", s, err)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	for _, lp := range labPrefixes {
		if lp.Contains(p.Addr()) && p.Bits() >= lp.Bits() {
			if p.Addr().Is4() && p.Bits() < 16 {
				return fmt.Errorf("lab: %s is wider than a /16", s)
			}
			return nil
		}
	}
	return fmt.Errorf("lab: %s is outside the lab's documentation, operator-NAT and private ranges", s)
}

// Run runs a command inside the namespace and returns its combined output.
func (n *NS) Run(args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err != nil {
		return buf.String(), fmt.Errorf("[%s] %s: %v: %s", n.name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), nil
}

// MustRun is Run that fails the test on error.
func (n *NS) MustRun(args ...string) string {
	n.lab.t.Helper()
	out, err := n.Run(args...)
	if err != nil {
		n.lab.t.Fatal(err)
	}
	return out
}

// RunStdin runs a command inside the namespace with stdin.
func (n *NS) RunStdin(stdin string, args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return buf.String(), fmt.Errorf("[%s] %s: %v: %s", n.name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), nil
}

// Start starts a long-running process inside the namespace. It is killed by
// PID (its whole process group) at teardown. Output goes to the returned
// buffer-backed log, readable with Log.
func (n *NS) Start(args ...string) *Proc {
	n.lab.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...)
	p := &Proc{cmd: cmd}
	cmd.Stdout, cmd.Stderr = &p.log, &p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.lab.t.Fatalf("[%s] start %s: %v", n.name, strings.Join(args, " "), err)
	}
	n.lab.mu.Lock()
	n.lab.procs = append(n.lab.procs, cmd)
	n.lab.mu.Unlock()
	return p
}

// Proc is a process started with Start.
type Proc struct {
	cmd *exec.Cmd
	log syncBuffer
}

// Log returns what the process printed so far.
func (p *Proc) Log() string { return p.log.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Do runs fn on an OS thread switched into the namespace, so Go code (a
// socket, a netlink connection) lives there. The thread is restored and
// released afterwards.
func (n *NS) Do(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("lab: current netns: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(n.name)
	if err != nil {
		return fmt.Errorf("lab: netns %s: %w", n.name, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return fmt.Errorf("lab: enter netns %s: %w", n.name, err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic("lab: cannot return to the original netns: " + err.Error())
		}
	}()
	return fn()
}

// WaitFor polls cond every 20 ms until it holds or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *Lab) teardown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.procs) - 1; i >= 0; i-- {
		cmd := l.procs[i]
		if cmd.Process == nil {
			continue
		}
		// Only processes this lab started, by PID (their own process group).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	l.procs = nil
	for i := len(l.nss) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", l.nss[i].name).CombinedOutput(); err != nil {
			l.t.Logf("lab teardown: ip netns del %s: %v: %s", l.nss[i].name, err, out)
		}
	}
	l.nss = nil
}
