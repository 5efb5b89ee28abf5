package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/p2pplan/p2pplan/internal/natprobe"
)

func init() { register("probe", newProbeCmd) }

// resolveTimeout bounds the server name lookup: a resolver that does not
// answer within it is an environment failure (exit 3), not a measurement.
const resolveTimeout = 5 * time.Second

func newProbeCmd() *cobra.Command {
	var (
		server  string
		asJSON  bool
		timeout time.Duration
		local   string
		wan     string
	)
	cmd := &cobra.Command{
		Use:   "probe --server HOST:PORT",
		Short: "Measure NAT mapping and filtering behaviour with an RFC 5780 STUN server",
		Long: `probe measures the NAT between this host and the internet with a STUN server
that supports RFC 5780 (two addresses, OTHER-ADDRESS, CHANGE-REQUEST), such as
coturn started with two --listening-ip. It reports mapping and filtering
behaviour (RFC 4787), the classic NAT type, whether there is no NAT, whether UDP
is blocked, and whether the operator NATs too. --json prints the measurement file
that "p2pplan plan" reads. There is no default server: name one you operate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				return inputError(errors.New("--server HOST:PORT is required (there is no default public STUN server)"))
			}
			host, portStr, err := net.SplitHostPort(server)
			if err != nil {
				return inputError(fmt.Errorf("--server %q: %v", server, err))
			}
			port, err := strconv.ParseUint(portStr, 10, 16)
			if err != nil || port == 0 {
				return inputError(fmt.Errorf("--server %q: bad port", server))
			}
			if timeout < 0 {
				return inputError(fmt.Errorf("--timeout %s: must be positive", timeout))
			}
			opts := natprobe.Options{ServerName: server, Timeout: timeout}
			if local != "" {
				lap, err := parseLocal(local)
				if err != nil {
					return inputError(fmt.Errorf("--local %q: %v", local, err))
				}
				opts.Local = lap
			}
			if wan != "" {
				a, err := netip.ParseAddr(wan)
				if err != nil || !a.Is4() {
					return inputError(fmt.Errorf("--wan-ipv4 %q: not an IPv4 address", wan))
				}
				opts.DeclaredWAN = a
			}
			ip, err := resolve4(cmd.Context(), host)
			if err != nil {
				return envError(fmt.Errorf("server %q: %v", host, err))
			}
			opts.Server = netip.AddrPortFrom(ip, uint16(port))

			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			m, err := natprobe.Probe(ctx, opts)
			if err != nil {
				return envError(err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(m)
			}
			return natprobe.WriteText(cmd.OutOrStdout(), m)
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "STUN server with RFC 5780 support, HOST:PORT (required)")
	f.BoolVar(&asJSON, "json", false, "print the measurement as JSON (the file plan reads)")
	f.DurationVar(&timeout, "timeout", natprobe.DefaultTimeout, "how long to wait for the server's first answer before declaring UDP blocked")
	f.StringVar(&local, "local", "", "local IPv4 address or ADDR:PORT to probe from")
	f.StringVar(&wan, "wan-ipv4", "", "the site's declared public IPv4 address (evidence for operator NAT)")
	return cmd
}

func parseLocal(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if !ap.Addr().Is4() {
			return netip.AddrPort{}, errors.New("only IPv4 is probed")
		}
		return ap, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, errors.New("not an address or address:port")
	}
	if !a.Is4() {
		return netip.AddrPort{}, errors.New("only IPv4 is probed")
	}
	return netip.AddrPortFrom(a, 0), nil
}

// resolve4 resolves the server to its first IPv4 address (the probe and the
// RFC 5780 tests are IPv4: NAT44 is what they measure).
func resolve4(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Unmap().Is4() {
			return netip.Addr{}, errors.New("only IPv4 servers are supported")
		}
		return a.Unmap(), nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, errors.New("no IPv4 address")
	}
	return addrs[0].Unmap(), nil
}
