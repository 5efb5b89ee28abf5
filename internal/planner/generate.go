package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/generators/portmap"
	"github.com/p2pplan/p2pplan/internal/outdir"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
	"github.com/p2pplan/p2pplan/internal/wgkeys"
)

// GenerateOptions say what to generate.
type GenerateOptions struct {
	// AllAlternatives generates every applicable alternative, not only the
	// chosen mode.
	AllAlternatives bool
	// KeysDir holds the sites' WireGuard public keys (<site>.pub, from
	// `p2pplan keys gen`); "" means a `keys` directory beside each site file.
	KeysDir string
	// WellKnownPorts is the policy's list; the allocator avoids them.
	WellKnownPorts []int
	// Generators is the registry (generators/registry.All()).
	Generators []generators.Generator
}

// KeyFileOnGateway is where the gateway keeps the site's private key, which
// its wg-quick config loads with PostUp. Operators copy <site>.key there.
func KeyFileOnGateway(siteName string) string {
	return "/etc/wireguard/p2pplan-" + siteName + ".key"
}

// noArtifacts are modes no generator ever handles: p2p needs nothing, dmz
// and upnp are never generated.
var noArtifacts = map[string]bool{plan.ModeP2P: true, plan.ModeDMZ: true, plan.ModeUPnP: true}

// Generate runs the generators for every site that has no denial and
// returns the files to write; it records each artifact (and the port
// allocations) in the plan. A site with a denial gets nothing.
func Generate(ctx context.Context, p *plan.Plan, opts GenerateOptions) ([]outdir.File, error) {
	var files []outdir.File
	taken := map[string]claim{} // "address/protocol/port" → first site
	for _, sp := range p.Sites {
		if sp.Denied() {
			continue
		}
		fs, err := generateSite(ctx, sp, opts)
		if err != nil {
			return nil, err
		}
		if err := claimPorts(sp, taken); err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	p.Summarize()
	return files, outdir.Validate(files)
}

// claimPorts enforces SPEC §8 across the run: external ports are unique per
// public address and protocol, also between sites that share an address
// (shared IPv4 with port ranges, or a typo).
func claimPorts(sp *plan.SitePlan, taken map[string]claim) error {
	for _, e := range sp.Exposures {
		key := fmt.Sprintf("%s/%s/%d", e.PublicAddress, e.Protocol, e.ExternalPort)
		field := "device." + e.Device + ".service." + e.Service + ".external_port"
		src := sp.Site.SourceOf(field)
		if other, dup := taken[key]; dup && other.site != sp.Name {
			return fmt.Errorf("%s:%d: site %s, %s: %s port %d on %s is already exposed by site %s (%s:%d); external ports must be unique per public address and protocol",
				src.File, src.Line, sp.Name, field, e.Protocol, e.ExternalPort, e.PublicAddress, other.site, other.src.File, other.src.Line)
		}
		taken[key] = claim{site: sp.Name, src: src}
	}
	return nil
}

// claim is who exposes an external port first, and where it was written.
type claim struct {
	site string
	src  site.Source
}

// siteError prefixes a generator's refusal with where the site is written.
func siteError(sp *plan.SitePlan, err error) error {
	src := sp.Site.SourceOf("")
	return fmt.Errorf("%s:%d: site %s: %w", src.File, src.Line, sp.Name, err)
}

// modesFor lists the modes to generate for a site, in the fixed mode order.
func modesFor(sp *plan.SitePlan, all bool) []string {
	var modes []string
	for _, a := range sp.Alternatives {
		if noArtifacts[a.Mode] || !a.Applicable || len(a.Missing) > 0 {
			continue
		}
		if a.Mode == sp.Chosen || all {
			modes = append(modes, a.Mode)
		}
	}
	return modes
}

func generateSite(ctx context.Context, sp *plan.SitePlan, opts GenerateOptions) ([]outdir.File, error) {
	modes := modesFor(sp, opts.AllAlternatives)
	var exposureModes []string
	for _, m := range modes {
		if m == plan.ModePAT || m == plan.ModeIPv6 {
			exposureModes = append(exposureModes, m)
		}
	}
	if len(exposureModes) > 0 {
		ex, err := portmap.Allocate(sp.Site, opts.WellKnownPorts, exposureModes...)
		if err != nil {
			return nil, siteError(sp, err)
		}
		sp.Exposures = ex
	}
	var files []outdir.File
	for _, mode := range modes {
		if mode == plan.ModeVPN {
			keys, missing, err := siteKeys(sp, opts.KeysDir)
			if err != nil {
				return nil, siteError(sp, err)
			}
			if missing != "" {
				// The plan says what is missing instead of failing the run:
				// keys are made by the operator, once, with `keys gen`.
				markMissing(sp, mode, missing)
				continue
			}
			sp.WireGuard = keys
		}
		for _, g := range opts.Generators {
			arts, err := g.Generate(ctx, sp, mode)
			if err != nil {
				return nil, siteError(sp, fmt.Errorf("%s generator, mode %s: %w", g.Name(), mode, err))
			}
			for _, a := range arts {
				files = append(files, outdir.File{Path: a.Path, Data: a.Data, Mode: a.Mode})
				ref := plan.Artifact{Path: a.Path, Generator: g.Name(), Mode: mode}
				if !a.Sensitive {
					sum := sha256.Sum256(a.Data)
					ref.SHA256 = hex.EncodeToString(sum[:])
				}
				sp.Artifacts = append(sp.Artifacts, ref)
			}
		}
	}
	sort.SliceStable(sp.Artifacts, func(i, j int) bool { return sp.Artifacts[i].Path < sp.Artifacts[j].Path })
	return files, nil
}

// siteKeys finds the site's public key. A key pair that does not exist yet
// is reported as missing; one that exists but cannot be used is an error.
func siteKeys(sp *plan.SitePlan, dir string) (keys *plan.WireGuardKeys, missing string, err error) {
	if dir == "" {
		dir = filepath.Join(filepath.Dir(sp.File), "keys")
	}
	if !exists(filepath.Join(dir, sp.Name+".pub")) && !exists(filepath.Join(dir, sp.Name+".key")) {
		return nil, fmt.Sprintf("WireGuard key pair: run `p2pplan keys gen %s --site %s`", dir, sp.Name), nil
	}
	pub, err := wgkeys.LoadPublic(dir, sp.Name)
	if err != nil {
		return nil, "", err
	}
	return &plan.WireGuardKeys{PublicKey: pub, PrivateKeyFile: KeyFileOnGateway(sp.Name)}, "", nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func markMissing(sp *plan.SitePlan, mode, what string) {
	for i := range sp.Alternatives {
		if sp.Alternatives[i].Mode == mode {
			sp.Alternatives[i].Missing = append(sp.Alternatives[i].Missing, what)
		}
	}
}
