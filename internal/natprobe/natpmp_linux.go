//go:build linux

package natprobe

import (
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
)

// SystemPMPNetwork finds the gateway in the kernel's IPv4 routing table and
// talks to it over a connected UDP socket: the kernel then delivers only
// datagrams from the gateway's port 5351 and reports an ICMP port
// unreachable as ECONNREFUSED.
func SystemPMPNetwork() PMPNetwork { return procRoutes{} }

type procRoutes struct{}

// DefaultGateway reads /proc/thread-self/net/route: the routing table of
// the calling thread's network namespace. /proc/net (that is
// /proc/self/net) shows the namespace of the process's main thread, which
// is not the caller's when one thread has been moved into another namespace
// (the lab does so with setns); only kernels older than 3.17, which lack
// thread-self, fall back to it.
func (procRoutes) DefaultGateway() (netip.Addr, error) {
	f, err := os.Open("/proc/thread-self/net/route")
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open("/proc/net/route")
	}
	if err != nil {
		return netip.Addr{}, err
	}
	defer f.Close()
	return parseRouteTable(f)
}

func (procRoutes) DialUDP(local netip.Addr, remote netip.AddrPort) (Conn, error) {
	var laddr *net.UDPAddr
	if local.IsValid() && !local.IsUnspecified() {
		laddr = &net.UDPAddr{IP: local.AsSlice()}
	}
	c, err := net.DialUDP("udp4", laddr, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return nil, err
	}
	return &dialedConn{c: c, remote: remote}, nil
}

// dialedConn is a connected UDP socket behind the Conn interface.
type dialedConn struct {
	c      *net.UDPConn
	remote netip.AddrPort
}

func (d *dialedConn) WriteTo(b []byte, to netip.AddrPort) error {
	if to != d.remote {
		return errors.New("natprobe: connected socket: wrong destination " + to.String())
	}
	_, err := d.c.Write(b)
	return err
}

func (d *dialedConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := d.c.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

func (d *dialedConn) LocalAddr() netip.AddrPort { return d.c.LocalAddr().(*net.UDPAddr).AddrPort() }

func (d *dialedConn) Close() error { return d.c.Close() }
