package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysGen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "gen", dir, "--site", "paris", "--site", "lyon"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, n := range []string{"lyon", "paris"} {
		priv, err := os.ReadFile(filepath.Join(dir, n+".key"))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := os.ReadFile(filepath.Join(dir, n+".pub"))
		if strings.Contains(out.String()+errb.String(), strings.TrimSpace(string(priv))) {
			t.Fatal("a private key was printed")
		}
		if !strings.Contains(out.String(), strings.TrimSpace(string(pub))) || !strings.Contains(out.String(), "created") {
			t.Errorf("output lacks %s's public key:\n%s", n, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"keys", "gen", dir, "--site", "lyon"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "kept") {
		t.Errorf("second run: exit %d, %s", code, out.String())
	}
}

func TestKeysGenErrors(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "gen", dir}, &out, &errb); code != exitInput {
		t.Errorf("no --site: exit %d, want %d", code, exitInput)
	}
	if code := run([]string{"keys", "gen", dir, "--site", "../etc"}, &out, &errb); code != exitInput {
		t.Errorf("bad name: exit %d, want %d", code, exitInput)
	}
	os.WriteFile(filepath.Join(dir, "open.key"), []byte("x"), 0o644)
	os.Chmod(filepath.Join(dir, "open.key"), 0o644)
	if code := run([]string{"keys", "gen", dir, "--site", "open"}, &out, &errb); code != exitEnv {
		t.Errorf("world-readable key: exit %d, want %d", code, exitEnv)
	}
}

// TestKeysGenFromSiteFiles: every site with a vpn block gets a key pair;
// the output shows public keys and paths, never a private key.
func TestKeysGenFromSiteFiles(t *testing.T) {
	atRepoRoot(t)
	dir := filepath.Join(t.TempDir(), "keys")
	code, out, errOut := runCLI("keys", "gen", dir, "examples")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, name := range []string{"pharmacy-secured", "shop-cgnat", "franchise-nantes"} {
		if !strings.Contains(out, name) {
			t.Errorf("no key pair for %s:\n%s", name, out)
		}
		priv, err := os.ReadFile(filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out+errOut, strings.TrimSpace(string(priv))) {
			t.Fatal("a private key was printed")
		}
	}
	if strings.Contains(out, "home-dupont") {
		t.Error("a site without a vpn block got a key pair")
	}
	if code, _, _ := runCLI("keys", "gen", dir, "internal/site/testdata/bad/bad-ipv4.hcl"); code != exitInput {
		t.Errorf("bad site file: exit %d, want 2", code)
	}
}
