package wgkeys

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestGenerateModesAndReuse(t *testing.T) {
	// A permissive umask must not widen the modes.
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "keys")
	pairs, err := Generate(dir, []string{"paris", "lyon-pharmacy", "paris"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].Name != "lyon-pharmacy" || pairs[1].Name != "paris" {
		t.Fatalf("pairs = %+v, want lyon-pharmacy and paris, sorted, once each", pairs)
	}
	if m := mode(t, dir); m != DirMode {
		t.Errorf("dir mode %04o, want %04o", m, DirMode)
	}
	for _, p := range pairs {
		if !p.Created {
			t.Errorf("%s: Created = false on first run", p.Name)
		}
		if m := mode(t, p.PrivateKeyFile); m != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", p.PrivateKeyFile, m)
		}
		if m := mode(t, p.PublicKeyFile); m != 0o644 {
			t.Errorf("%s: mode %04o, want 0644", p.PublicKeyFile, m)
		}
		priv, _ := os.ReadFile(p.PrivateKeyFile)
		k, err := wgtypes.ParseKey(strings.TrimSpace(string(priv)))
		if err != nil {
			t.Fatalf("%s: %v", p.PrivateKeyFile, err)
		}
		if k.PublicKey().String() != p.PublicKey {
			t.Errorf("%s: public key does not match the private key", p.Name)
		}
		pub, _ := os.ReadFile(p.PublicKeyFile)
		if string(pub) != p.PublicKey+"\n" {
			t.Errorf("%s: .pub = %q", p.Name, pub)
		}
		got, err := LoadPublic(dir, p.Name)
		if err != nil || got != p.PublicKey {
			t.Errorf("LoadPublic(%s) = %q, %v", p.Name, got, err)
		}
		// Nothing printable in a Pair can hold the private key.
		js, _ := json.Marshal(p)
		if strings.Contains(string(js)+fmt.Sprintf("%+v", p), strings.TrimSpace(string(priv))) {
			t.Errorf("the pair carries the private key")
		}
	}

	// Second run: same keys, nothing overwritten, .pub restored if lost.
	before, _ := os.ReadFile(pairs[0].PrivateKeyFile)
	stBefore, _ := os.Stat(pairs[0].PrivateKeyFile)
	if err := os.Remove(pairs[0].PublicKeyFile); err != nil {
		t.Fatal(err)
	}
	again, err := Generate(dir, []string{"lyon-pharmacy", "paris", "nice"})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(pairs[0].PrivateKeyFile)
	stAfter, _ := os.Stat(pairs[0].PrivateKeyFile)
	if string(before) != string(after) || !os.SameFile(stBefore, stAfter) {
		t.Error("an existing private key was rewritten")
	}
	if again[0].Created || again[0].PublicKey != pairs[0].PublicKey || again[2].Created {
		t.Errorf("second run: %+v", again)
	}
	if !again[1].Created || again[1].Name != "nice" {
		t.Errorf("new name not created: %+v", again[1])
	}
	if _, err := os.Stat(pairs[0].PublicKeyFile); err != nil {
		t.Errorf(".pub not restored: %v", err)
	}
	// No temporary file left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestExistingKeyFromWg(t *testing.T) {
	// A key made by `wg genkey` (base64 + newline) is reused as is.
	dir := t.TempDir()
	k, _ := wgtypes.GeneratePrivateKey()
	if err := os.WriteFile(filepath.Join(dir, "site.key"), []byte(k.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pairs, err := Generate(dir, []string{"site"})
	if err != nil {
		t.Fatal(err)
	}
	if pairs[0].Created || pairs[0].PublicKey != k.PublicKey().String() {
		t.Errorf("pair = %+v", pairs[0])
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	k, _ := wgtypes.GeneratePrivateKey()
	secret := k.String()
	// World-readable existing key: refused, untouched.
	wide := filepath.Join(dir, "wide.key")
	if err := os.WriteFile(wide, []byte(secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(wide, 0o644)
	_, err := Generate(dir, []string{"wide"})
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: err = %v", err)
	}
	if b, _ := os.ReadFile(wide); string(b) != secret+"\n" {
		t.Error("world-readable key was changed")
	}
	// Garbage in a key file: refused, untouched, and the error does not
	// quote the content.
	junk := filepath.Join(dir, "junk.key")
	os.WriteFile(junk, []byte("not-a-key "+secret[:20]), 0o600)
	_, err = Generate(dir, []string{"junk"})
	if err == nil || strings.Contains(err.Error(), secret[:20]) {
		t.Errorf("junk key: err = %v", err)
	}
	if b, _ := os.ReadFile(junk); string(b) != "not-a-key "+secret[:20] {
		t.Error("junk key was changed")
	}
	for _, bad := range []string{"../evil", "Upper", "", "a/b", "-x", strings.Repeat("a", 64)} {
		if _, err := Generate(dir, []string{bad}); err == nil {
			t.Errorf("name %q accepted", bad)
		}
		if _, err := LoadPublic(dir, bad); err == nil {
			t.Errorf("LoadPublic(%q) accepted", bad)
		}
	}
	if _, err := Generate(dir, nil); err == nil {
		t.Error("no names: want an error")
	}
	if _, err := LoadPublic(dir, "absent"); err == nil || !strings.Contains(err.Error(), "keys gen") {
		t.Errorf("absent: %v", err)
	}
}

func TestLoadPublicFromPrivate(t *testing.T) {
	dir := t.TempDir()
	pairs, err := Generate(dir, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(pairs[0].PublicKeyFile)
	got, err := LoadPublic(dir, "x")
	if err != nil || got != pairs[0].PublicKey {
		t.Errorf("LoadPublic = %q, %v", got, err)
	}
}

func TestSecretRedacts(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, []string{"s"}); err != nil {
		t.Fatal(err)
	}
	sec, err := LoadPrivate(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "s.key"))
	key := strings.TrimSpace(string(raw))
	js, _ := json.Marshal(struct{ K Secret }{sec})
	txt, _ := sec.MarshalText()
	var printed []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		printed = append(printed, fmt.Sprintf(verb, sec), fmt.Sprintf(verb, struct{ K Secret }{sec}), fmt.Sprintf(verb, &sec))
	}
	all := strings.Join(printed, "\n") + string(js) + string(txt) + sec.String()
	if strings.Contains(all, key) || strings.Contains(all, fmt.Sprintf("%x", []byte(key))) {
		t.Fatalf("the private key leaked: %s", all)
	}
	if !strings.Contains(string(js), "[redacted]") {
		t.Errorf("json = %s", js)
	}
	if sec.PublicKey().String() == "" {
		t.Error("no public key")
	}
}
