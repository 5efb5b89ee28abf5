// Package wgkeys makes and reads the WireGuard key pairs of sites, as files
// in one directory: <name>.key (the private key, 0600) and <name>.pub (the
// public key, 0644), both in the base64 form `wg genkey` and `wg pubkey` use,
// so `wg set %i private-key <name>.key` loads them directly.
//
// The private key never leaves its file through this package: Generate
// returns public keys and paths only, and the one type holding a private key
// in memory (Secret) redacts itself wherever it could be printed.
package wgkeys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/p2pplan/p2pplan/internal/site"
)

// ErrInvalidName is wrapped by every error about a name (bad input, as
// opposed to a file problem), so a command can choose its exit code. Names
// are checked here too (site.ValidName, SPEC §3) because a name becomes a
// file name and must never climb out of the directory.
var ErrInvalidName = errors.New("not a site name ([a-z0-9][a-z0-9_-]{0,62})")

// File modes: private key readable by its owner only (wg itself warns about
// anything wider), public key and the directory as SPEC §2 says.
const (
	PrivateMode fs.FileMode = 0o600
	PublicMode  fs.FileMode = 0o644
	DirMode     fs.FileMode = 0o700
)

// Pair describes one site's key pair on disk. It holds no private key.
type Pair struct {
	Name           string `json:"name"`
	PublicKey      string `json:"public_key"` // base64
	PrivateKeyFile string `json:"private_key_file"`
	PublicKeyFile  string `json:"public_key_file"`
	// Created is false when an existing private key was kept.
	Created bool `json:"created"`
}

// Secret is a private key in memory. Its String, GoString, Format,
// MarshalText and MarshalJSON all redact, so a log line, an error or a JSON
// document can never carry the key by accident.
type Secret struct{ key wgtypes.Key }

const redacted = "[redacted]"

func (Secret) String() string   { return redacted }
func (Secret) GoString() string { return redacted }

// Format redacts under every verb (%v, %+v, %#v, %s, %x, %q ...).
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText redacts.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON redacts.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// PublicKey derives the public key.
func (s Secret) PublicKey() wgtypes.Key { return s.key.PublicKey() }

// encode is the file form: base64 and a newline, like `wg genkey`.
func (s Secret) encode() []byte { return []byte(s.key.String() + "\n") }

// LoadPrivate reads name's private key from dir (for a caller that must
// configure a device itself; it stays redacted wherever it is printed).
func LoadPrivate(dir, name string) (Secret, error) {
	if !site.ValidName(name) {
		return Secret{}, fmt.Errorf("wgkeys: %q: %w", name, ErrInvalidName)
	}
	return loadPrivate(filepath.Join(dir, name+".key"))
}

// Generate makes sure every name has a key pair in dir and returns the pairs
// sorted by name. dir is created 0700 when missing. An existing <name>.key is
// never overwritten: its key is reused (and <name>.pub rewritten from it), so
// running Generate again is safe. A private key file readable by group or
// others, or one that does not hold a key, is an error, left as it is.
func Generate(dir string, names []string) ([]Pair, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("wgkeys: no name given: %w", ErrInvalidName)
	}
	uniq := map[string]bool{}
	for _, n := range names {
		if !site.ValidName(n) {
			return nil, fmt.Errorf("wgkeys: %q: %w", n, ErrInvalidName)
		}
		uniq[n] = true
	}
	sorted := make([]string, 0, len(uniq))
	for n := range uniq {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)

	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("wgkeys: %w", err)
	}
	pairs := make([]Pair, 0, len(sorted))
	for _, n := range sorted {
		p, err := ensure(dir, n)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func ensure(dir, name string) (Pair, error) {
	p := Pair{
		Name:           name,
		PrivateKeyFile: filepath.Join(dir, name+".key"),
		PublicKeyFile:  filepath.Join(dir, name+".pub"),
	}
	sec, err := loadPrivate(p.PrivateKeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k, gerr := wgtypes.GeneratePrivateKey()
		if gerr != nil {
			return Pair{}, fmt.Errorf("wgkeys: generate %s: %w", name, gerr)
		}
		sec = Secret{k}
		created, err := writeNew(p.PrivateKeyFile, sec.encode(), PrivateMode)
		if err != nil {
			return Pair{}, err
		}
		if !created {
			// Another run wrote it between our read and our write: keep theirs.
			if sec, err = loadPrivate(p.PrivateKeyFile); err != nil {
				return Pair{}, err
			}
		}
		p.Created = created
	case err != nil:
		return Pair{}, err
	}
	pub := sec.PublicKey().String()
	if err := writeReplace(p.PublicKeyFile, []byte(pub+"\n"), PublicMode); err != nil {
		return Pair{}, err
	}
	p.PublicKey = pub
	return p, nil
}

// loadPrivate reads a private key file, refusing one others can read.
func loadPrivate(path string) (Secret, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Secret{}, err
	}
	if !fi.Mode().IsRegular() {
		return Secret{}, fmt.Errorf("wgkeys: %s is not a regular file; refusing to use it as a private key", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Secret{}, fmt.Errorf("wgkeys: %s has mode %04o: a private key must be readable by its owner only (chmod 600 it)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, fmt.Errorf("wgkeys: %w", err)
	}
	k, err := wgtypes.ParseKey(strings.TrimSpace(string(b)))
	if err != nil || k == (wgtypes.Key{}) {
		// The error of ParseKey could quote the content: never include it.
		return Secret{}, fmt.Errorf("wgkeys: %s does not hold a WireGuard private key (base64, 32 bytes); left untouched", path)
	}
	return Secret{k}, nil
}

// LoadPublic returns the base64 public key of name in dir, from <name>.pub,
// or derived from <name>.key when the .pub file is missing.
func LoadPublic(dir, name string) (string, error) {
	if !site.ValidName(name) {
		return "", fmt.Errorf("wgkeys: %q: %w", name, ErrInvalidName)
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".pub"))
	if err == nil {
		k, perr := wgtypes.ParseKey(strings.TrimSpace(string(b)))
		if perr != nil {
			return "", fmt.Errorf("wgkeys: %s does not hold a WireGuard public key", filepath.Join(dir, name+".pub"))
		}
		return k.String(), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("wgkeys: %w", err)
	}
	sec, err := loadPrivate(filepath.Join(dir, name+".key"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("wgkeys: no key pair for %s in %s (run `p2pplan keys gen`)", name, dir)
		}
		return "", err
	}
	return sec.PublicKey().String(), nil
}

// writeNew writes data to path only if path does not exist yet. The data
// goes to a temporary file first and is hard-linked into place, so the key
// file is either absent or complete, and an existing one is never replaced.
// It reports whether it created the file.
func writeNew(path string, data []byte, mode fs.FileMode) (bool, error) {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("wgkeys: %w", err)
	}
	return true, syncDir(filepath.Dir(path))
}

// writeReplace atomically replaces path with data.
func writeReplace(path string, data []byte, mode fs.FileMode) error {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wgkeys: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func writeTemp(path string, data []byte, mode fs.FileMode) (string, error) {
	// CreateTemp makes the file 0600 before any byte is written.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("wgkeys: %w", err)
	}
	name := f.Name()
	err = f.Chmod(mode) // explicit: the umask must not change the contract
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("wgkeys: write %s: %w", path, err)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wgkeys: %w", err)
	}
	defer d.Close()
	_ = d.Sync() // best effort: not every filesystem supports it
	return nil
}
