package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
)

func init() { register("init", newInitCmd) }

// starterSite is the commented starter file of `p2pplan init`. It loads as
// it is (a test checks it), so a user can edit it step by step.
const starterSite = `# p2pplan site file. One or more site blocks; variables and locals work as in
# Terraform. Check it with: p2pplan check THIS_FILE

site "my-site" {
  description = "What and where this site is (free text)"
  # home | small_business | secured | monitoring_center | video_provider | managed
  profile = "small_business"
  # Is the device declared online on the vendor's cloud?
  online = true

  wan {
    ipv4       = "198.51.100.23" # the site's public IPv4, if it has one of its own
    ipv4_fixed = true
    # operator_nat          = true           # behind the operator's NAT (CGNAT)
    # shared_ipv4_ports     = "16384-32767"  # IPv4 shared with other customers: your port range
    # operator_restrictions = true           # the operator filters or restricts NAT
    # ipv6_prefix           = "2001:db8:20::/56"
    # ipv6_fixed            = true
  }

  router {
    firewall = false
    upnp     = false
    # open | full_cone | restricted_cone | port_restricted_cone | symmetric | udp_blocked
    nat = "port_restricted_cone"
  }

  # Output of "p2pplan probe --json", measured on the site's LAN:
  # measurement = "measurements/my-site.json"

  device "nvr" {
    ipv4 = "192.168.1.108"
    # ipv6 = "2001:db8:20::108"
    service "main" {
      protocol = "tcp"
      port     = 37777 # the port the device listens on
    }
  }

  clients {
    nat     = "symmetric" # mobile networks are often symmetric
    ipv6    = false
    sources = ["203.0.113.0/24"] # who may reach exposed services
  }

  # request = "pat" # p2p | vpn | auto_register | ipv6 | pat | extra_router (dmz is always refused)

  # vpn {
  #   hub            = "vpn.example.net:51820"
  #   hub_public_key = "base64 WireGuard public key of the hub"
  #   tunnel         = "10.99.0.0/24"
  #   address        = "10.99.0.2/32"
  # }

  # auto_register {
  #   platform = "203.0.113.50"
  #   port     = 7000
  # }
}
`

func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter site file (to stdout, or to FILE if it does not exist)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				_, err := fmt.Fprint(cmd.OutOrStdout(), starterSite)
				return err
			}
			if _, err := os.Lstat(args[0]); err == nil {
				return inputError(fmt.Errorf("%s already exists; init never overwrites a file", args[0]))
			} else if !errors.Is(err, fs.ErrNotExist) {
				return envError(err)
			}
			return writeFileAtomic(args[0], []byte(starterSite), 0o644)
		},
	}
}
