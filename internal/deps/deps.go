//go:build tools

// Package deps pins the modules p2pplan is built on (see the README's stack)
// while their packages are being wired in, so `go mod tidy` keeps them. It is
// never compiled into the binary.
package deps

import (
	_ "github.com/google/nftables"
	_ "github.com/hashicorp/hcl/v2"
	_ "github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/open-policy-agent/opa/v1/bundle"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/open-policy-agent/opa/v1/tester"
	_ "github.com/pion/stun/v2"
	_ "github.com/spf13/cobra"
	_ "github.com/zclconf/go-cty/cty"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)
