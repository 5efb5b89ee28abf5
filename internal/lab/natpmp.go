package lab

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var natpmpSeq atomic.Int64

// NATPMPPort is where a NAT-PMP server listens (RFC 6886 §3.1).
const NATPMPPort = 5351

// NATPMPServer is miniupnpd (Debian's miniupnpd-nftables) answering NAT-PMP
// on a lab router's LAN side.
type NATPMPServer struct {
	Router   *NS
	Proc     *Proc
	LAN      netip.Addr // the address it listens on (the LAN's gateway)
	External netip.Addr // the external address it reports (RFC 6886 §3.2)

	lab     *Lab
	ruleset string // the router's nftables ruleset before miniupnpd started
}

// StartNATPMP runs miniupnpd inside router only: in the foreground (-d),
// with its own config, pid and lease files in a temporary directory, NAT-PMP
// on (UPnP IGD off), secure mode, mappings allowed only to lanPrefix. It is
// killed by PID at teardown like every lab process.
//
// The external address it reports: Debian's miniupnpd (2.3.1) refuses to
// report an interface address in any reserved range — it answers result 3,
// Network Failure (RFC 6886 §3.5) — and refuses such an address given with
// ext_ip; every address a lab may use (SPEC §9: documentation ranges,
// 100.64.0.0/10, private ranges) is in its reserved list. It accepts the
// address a STUN server reports (ext_perform_stun), so the lab points it at
// a STUN server that sees the router's WAN address untranslated: then the
// address it reports is exactly its WAN interface's address, which is what
// a router that reports its interface address answers. wantExternal is that
// address; StartNATPMP fails the test unless miniupnpd answers with it.
//
// nftables: miniupnpd is given table names of its own that do not exist
// (it never creates them), so it cannot add, change or flush anything in the
// router's "lab" table; StartNATPMP and CheckRuleset verify the ruleset is
// unchanged.
func (l *Lab) StartNATPMP(router *NS, extIf, lanIf string, lanPrefix netip.Prefix, stun netip.AddrPort, wantExternal netip.Addr) *NATPMPServer {
	l.t.Helper()
	if _, err := exec.LookPath("miniupnpd"); err != nil {
		l.t.Fatalf("lab: miniupnpd (Debian package miniupnpd-nftables) is not installed: %v", err)
	}
	for _, a := range []string{lanPrefix.String(), stun.Addr().String(), wantExternal.String()} {
		if err := CheckAddress(a); err != nil {
			l.t.Fatal(err)
		}
	}
	lanAddr, err := ifaceAddr4(router, lanIf)
	if err != nil {
		l.t.Fatal(err)
	}
	before := router.MustRun("nft", "list", "ruleset")
	dir := l.t.TempDir()
	conf := strings.Join([]string{
		"ext_ifname=" + extIf,
		"listening_ip=" + lanIf,
		"enable_natpmp=yes",
		"enable_upnp=no",
		"secure_mode=yes",
		"uuid=6f9a3c2e-1d4b-4e8a-9c7f-" + fmt.Sprintf("%012x", natpmpSeq.Add(1)),
		"lease_file=" + filepath.Join(dir, "leases"),
		"upnp_table_name=p2pplan_miniupnpd",
		"upnp_nat_table_name=p2pplan_miniupnpd",
		"ext_perform_stun=yes",
		"ext_stun_host=" + stun.Addr().String(),
		"ext_stun_port=" + strconv.Itoa(int(stun.Port())),
		"allow 1024-65535 " + lanPrefix.String() + " 1024-65535",
		"deny 0-65535 0.0.0.0/0 0-65535",
		"",
	}, "\n")
	confPath := filepath.Join(dir, "miniupnpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		l.t.Fatal(err)
	}
	p := router.Start("miniupnpd", "-d", "-4", "-f", confPath, "-P", filepath.Join(dir, "miniupnpd.pid"))
	s := &NATPMPServer{Router: router, Proc: p, LAN: lanAddr, External: wantExternal, lab: l, ruleset: before}
	var got netip.Addr
	var last error
	ok := WaitFor(15*time.Second, func() bool {
		if !strings.Contains(p.Log(), "Listening for NAT-PMP") {
			last = fmt.Errorf("not listening yet")
			return false
		}
		last = router.Do(func() error {
			var err error
			got, err = natpmpExternal(lanAddr)
			return err
		})
		return last == nil
	})
	if !ok || got != wantExternal {
		l.t.Fatalf("miniupnpd in %s: external address %v (%v), want %s\nconfig:\n%s\nlog:\n%s", router.name, got, last, wantExternal, conf, p.Log())
	}
	s.CheckRuleset()
	return s
}

// CheckRuleset fails the test if the router's nftables ruleset is not what
// it was before miniupnpd started.
func (s *NATPMPServer) CheckRuleset() {
	s.lab.t.Helper()
	if now := s.Router.MustRun("nft", "list", "ruleset"); now != s.ruleset {
		s.lab.t.Fatalf("miniupnpd changed the nftables ruleset of %s:\nbefore:\n%s\nafter:\n%s", s.Router.name, s.ruleset, now)
	}
}

// natpmpExternal sends one external address request (RFC 6886 §3.2, opcode
// 0: read-only) to gw:5351 from the calling namespace and returns the
// address of a success answer.
func natpmpExternal(gw netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(gw, NATPMPPort)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	if _, err := c.Write([]byte{0, 0}); err != nil {
		return netip.Addr{}, err
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	b := make([]byte, 64)
	n, err := c.Read(b)
	if err != nil {
		return netip.Addr{}, err
	}
	if n < 12 || b[0] != 0 || b[1] != 128 {
		return netip.Addr{}, fmt.Errorf("not a NAT-PMP external address response: %x", b[:n])
	}
	if code := binary.BigEndian.Uint16(b[2:4]); code != 0 {
		return netip.Addr{}, fmt.Errorf("NAT-PMP result code %d", code)
	}
	return netip.AddrFrom4([4]byte(b[8:12])), nil
}

// ifaceAddr4 is the first IPv4 address of an interface of ns.
func ifaceAddr4(ns *NS, ifc string) (netip.Addr, error) {
	out, err := ns.Run("ip", "-4", "-o", "addr", "show", "dev", ifc)
	if err != nil {
		return netip.Addr{}, err
	}
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "inet" {
			p, err := netip.ParsePrefix(f[i+1])
			if err != nil {
				return netip.Addr{}, err
			}
			return p.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("lab: %s has no IPv4 address on %s", ns.name, ifc)
}

// StartPlainSTUN starts turnserver in ns as a plain STUN server on one
// address (no RFC 5780): what a router's own STUN client needs to learn the
// address it is seen with. It returns once the server answers.
func (l *Lab) StartPlainSTUN(ns *NS, addr netip.Addr, port uint16) netip.AddrPort {
	l.t.Helper()
	if err := CheckAddress(addr.String()); err != nil {
		l.t.Fatal(err)
	}
	p := ns.Start("turnserver", "-n", "--listening-ip", addr.String(),
		"--listening-port", strconv.Itoa(int(port)),
		"--stun-only", "--no-tls", "--no-dtls", "--no-cli", "--no-auth", "--no-rfc5780",
		"--log-file", "stdout", "--simple-log",
		"--pidfile", filepath.Join(l.t.TempDir(), "turnserver.pid"))
	ap := netip.AddrPortFrom(addr, port)
	var last error
	if !WaitFor(10*time.Second, func() bool {
		last = ns.Do(func() error { _, err := stunAnswers(ap); return err })
		return last == nil
	}) {
		l.t.Fatalf("turnserver in %s not ready: %v\n%s", ns.name, last, p.Log())
	}
	return ap
}
