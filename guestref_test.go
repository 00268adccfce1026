package boxoffice_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"boxoffice"
)

// A ref is the contract's digest, so every instance (and any tool the
// operator writes) finds the same guest by it.
func TestGuestRefIsTheContractsDigest(t *testing.T) {
	guest := boxoffice.GuestFromToken("some-cookie")
	sum := sha256.Sum256([]byte("guest-ref\x00dune-0612\x00" + string(guest)))
	want := hex.EncodeToString(sum[:])[:12]
	if got := boxoffice.GuestRef("dune-0612", guest); got != want {
		t.Fatalf("GuestRef = %q, want %q", got, want)
	}
	if got := boxoffice.GuestRef("dune-0612", guest); got != want {
		t.Fatalf("GuestRef is not stable: %q then %q", want, got)
	}
	if !boxoffice.ValidGuestRef(want) {
		t.Errorf("ValidGuestRef(%q) = false", want)
	}
}

// The same guest has another ref in another show, and a ref shows neither
// the stored hash nor the cookie.
func TestGuestRefIsPerShowAndRevealsNothing(t *testing.T) {
	guest := boxoffice.GuestFromToken("cookie")
	a, b := boxoffice.GuestRef("a", guest), boxoffice.GuestRef("b", guest)
	if a == b {
		t.Errorf("one guest has ref %q in two shows", a)
	}
	if strings.Contains(string(guest), a) || strings.Contains("cookie", a) {
		t.Errorf("ref %q is part of the guest's hash or cookie", a)
	}
	// The separator keeps show and guest apart: "ab"+"c" is not "a"+"bc".
	if boxoffice.GuestRef("ab", "c") == boxoffice.GuestRef("a", "bc") {
		t.Error("refs of different (show, guest) pairs collide across the separator")
	}
}

func TestValidGuestRef(t *testing.T) {
	for ref, want := range map[string]bool{
		"0123456789ab":  true,
		"0123456789AB":  false, // refs are lowercase: one spelling per guest
		"0123456789a":   false,
		"0123456789abc": false,
		"0123456789ag":  false,
		"":              false,
	} {
		if got := boxoffice.ValidGuestRef(ref); got != want {
			t.Errorf("ValidGuestRef(%q) = %v, want %v", ref, got, want)
		}
	}
}
