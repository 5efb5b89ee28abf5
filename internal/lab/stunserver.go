package lab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/pion/stun/v2"
)

// STUNServer is coturn's turnserver running as an RFC 5780 STUN server in a
// lab namespace.
type STUNServer struct {
	NS      *NS
	Primary netip.AddrPort // first listening address, port 3478 by default
	Alt     netip.AddrPort // OTHER-ADDRESS: second IP, alternate port
	Proc    *Proc
}

// StartSTUNServer starts turnserver in ns listening on two addresses (both
// already configured in ns), STUN only. It is started without any config
// file (-n): Debian's /etc/turnserver.conf sets no-rfc5780, and RFC 5780
// behaviour discovery needs two listening IPs plus the alternate port
// (listening port + 1). It returns once the server answers with
// OTHER-ADDRESS; the process is killed by PID at teardown.
func (l *Lab) StartSTUNServer(ns *NS, primary, alt netip.Addr, port uint16) *STUNServer {
	l.t.Helper()
	for _, a := range []netip.Addr{primary, alt} {
		if err := CheckAddress(a.String()); err != nil {
			l.t.Fatal(err)
		}
	}
	pidfile := fmt.Sprintf("/tmp/%s-turnserver.pid", ns.name)
	l.t.Cleanup(func() { _ = os.Remove(pidfile) })
	p := ns.Start("turnserver", "-n",
		"--listening-ip", primary.String(), "--listening-ip", alt.String(),
		"--listening-port", strconv.Itoa(int(port)),
		"--alt-listening-port", strconv.Itoa(int(port)+1),
		"--stun-only", "--no-tls", "--no-dtls", "--no-cli",
		"--no-auth", "--log-file", "stdout", "--simple-log",
		"--pidfile", pidfile,
	)
	s := &STUNServer{
		NS:      ns,
		Primary: netip.AddrPortFrom(primary, port),
		Alt:     netip.AddrPortFrom(alt, port+1),
		Proc:    p,
	}
	var last error
	ok := WaitFor(10*time.Second, func() bool {
		last = ns.Do(func() error { return stunReady(s.Primary, s.Alt) })
		return last == nil
	})
	if !ok {
		l.t.Fatalf("turnserver in %s not ready: %v\n%s", ns.name, last, p.Log())
	}
	return s
}

// stunAnswers sends one Binding request and returns the success answer.
func stunAnswers(server netip.AddrPort) (*stun.Message, error) {
	c, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
	if _, err := c.WriteToUDPAddrPort(req.Raw, server); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 1500)
	n, _, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, err
	}
	m := &stun.Message{Raw: buf[:n]}
	if err := m.Decode(); err != nil {
		return nil, err
	}
	if m.Type != stun.BindingSuccess {
		return nil, fmt.Errorf("answer %s, want a Binding success", m.Type)
	}
	return m, nil
}

// stunReady checks the server answers and names alt as OTHER-ADDRESS
// (RFC 5780 §7.4).
func stunReady(server, alt netip.AddrPort) error {
	m, err := stunAnswers(server)
	if err != nil {
		return err
	}
	var other stun.OtherAddress
	if err := other.GetFrom(m); err != nil {
		return fmt.Errorf("no OTHER-ADDRESS: RFC 5780 is off")
	}
	got, _ := netip.AddrFromSlice(other.IP)
	if netip.AddrPortFrom(got.Unmap(), uint16(other.Port)) != alt {
		return fmt.Errorf("OTHER-ADDRESS %s, want %s", other, alt)
	}
	return nil
}
