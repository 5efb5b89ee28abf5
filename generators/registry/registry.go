// Package registry is the one explicit list of generators (Aerleon's
// plugin supervisor, without the plugins): adding a generator means adding
// it here, nowhere else.
package registry

import (
	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/generators/autoregister"
	"github.com/p2pplan/p2pplan/generators/extrarouter"
	"github.com/p2pplan/p2pplan/generators/nftables"
	"github.com/p2pplan/p2pplan/generators/portmap"
	"github.com/p2pplan/p2pplan/generators/wireguard"
)

// All returns every generator, in the order their artifacts are listed.
func All() []generators.Generator {
	return []generators.Generator{
		nftables.New(),
		portmap.Generator{},
		wireguard.Generator{},
		autoregister.Generator{},
		extrarouter.Generator{},
	}
}
