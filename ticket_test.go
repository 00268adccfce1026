package boxoffice_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"boxoffice"
)

// codeByHand derives a ticket code the long way, bit by bit from the
// digest, as the issue spells it out: the first 60 bits of
// SHA-256("boxoffice-ticket\x00" + show + "\x00" + token), five bits a symbol
// of Crockford's alphabet. It shares nothing with TicketCodeFor but the
// definition.
func codeByHand(show, token string) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	sum := sha256.Sum256([]byte("boxoffice-ticket\x00" + show + "\x00" + token))
	bit := func(i int) int { return int(sum[i/8]>>(7-i%8)) & 1 }
	var b strings.Builder
	for s := range 12 {
		v := 0
		for i := range 5 {
			v = v<<1 | bit(s*5+i)
		}
		b.WriteByte(alphabet[v])
	}
	return b.String()
}

// A ticket's code is what the issue defines, so that every instance and
// every release of the server derives the same one for a guest: a vector
// computed outside Go, and the definition recomputed for other inputs.
func TestTicketCodeVector(t *testing.T) {
	// Python: hashlib.sha256(b"boxoffice-ticket\0premiere\0cookie-token-1"),
	// first 60 bits in Crockford's base32.
	const show, token, want = "premiere", "cookie-token-1", "S88QYXPKJGTF"
	if got := boxoffice.TicketCodeFor(show, token); got != want {
		t.Errorf("TicketCodeFor(%q, %q) = %s, want %s", show, token, got, want)
	}
	if got := codeByHand(show, token); got != want {
		t.Fatalf("the test's own derivation gives %s, want %s", got, want)
	}
	for _, in := range [][2]string{{"", ""}, {"s", "t"}, {"show\x00", "token"}, {"show", "\x00token"}, {"évening", strings.Repeat("x", 1000)}} {
		if got, want := string(boxoffice.TicketCodeFor(boxoffice.ShowID(in[0]), in[1])), codeByHand(in[0], in[1]); got != want {
			t.Errorf("TicketCodeFor(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
	// The separator keeps ("ab", "c") and ("a", "bc") apart.
	if boxoffice.TicketCodeFor("ab", "c") == boxoffice.TicketCodeFor("a", "bc") {
		t.Error(`("ab", "c") and ("a", "bc") have the same code`)
	}
}

// The store keeps only the code's SHA-256, in hex; no code, no hash.
func TestTicketHash(t *testing.T) {
	code := boxoffice.TicketCode("S88QYXPKJGTF")
	if got, want := string(code.Hash()), "ce573c3146aef2b7951039f15310aa426e61e818cfcca1d0c21743ae0cd10e28"; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if h := boxoffice.TicketCode("").Hash(); h != "" {
		t.Errorf(`Hash of no code = %q, want ""`, h)
	}
}

// A code is read as people type it, and anything else is refused, never
// guessed at.
func TestParseTicketCode(t *testing.T) {
	const want = "7KQ20A1B1CDE"
	for _, in := range []string{
		"7KQ20A1B1CDE",
		"7KQ2-0A1B-1CDE",
		"7kq2-0a1b-1cde",
		"7KQ2 0A1B 1CDE",
		" 7KQ2 - 0A1B - 1CDE ",
		"7KQ2-OA1B-1CDE",   // O for 0
		"7KQ2-0AIB-LCDE",   // I and L for 1
		"7kq2-oaib-lcde",   // all of it in lower case
		"--7KQ20A1B1CDE--", // dashes anywhere
		"7-K-Q-2-0-A-1-B-1-C-D-E",
	} {
		if got, ok := boxoffice.ParseTicketCode(in); !ok || got != want {
			t.Errorf("ParseTicketCode(%q) = %q, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"",
		"7KQ2-0A1B-1CD",                     // 11 symbols
		"7KQ2-0A1B-1CDEF",                   // 13
		"7KQ2-0A1B-1CDU",                    // U is not in the alphabet
		"7KQ2-0A1B-1CD_",                    // nor other characters
		"7KQ2_0A1B_1CDE",                    // nor other separators
		"7KQ2-0A1B-1CD\x00",                 //
		"7KQ2-0A1B-1CDÉ",                    // nor other letters
		"7KQ2\t0A1B\n1CDE",                  // nor other white space
		"/tickets/7KQ2-0A1B-1CDE",           // a path is not a code
		strings.Repeat("-", 100) + want,     // very long input, even if it would reduce to a code
		strings.Repeat("7KQ20A1B1CDE", 1e4), //
	} {
		if got, ok := boxoffice.ParseTicketCode(in); ok {
			t.Errorf("ParseTicketCode(%.40q) = %q, true; want false", in, got)
		}
	}
}

// Each of the 256 bytes reads as the issue says: the alphabet's symbols in
// either case as themselves, O as 0, I and L as 1, '-' and ' ' as
// separators, and nothing else at all.
func TestTicketSymbol(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	want := map[byte]byte{'-': 0, ' ': 0, 'O': '0', 'o': '0', 'I': '1', 'i': '1', 'L': '1', 'l': '1'}
	for i := 0; i < len(alphabet); i++ {
		c := alphabet[i]
		want[c] = c
		want[strings.ToLower(string(c))[0]] = c
	}
	for i := 0; i < 256; i++ {
		c := byte(i)
		sym, ok := boxoffice.TicketSymbol(c)
		w, known := want[c]
		if ok != known || sym != w {
			t.Errorf("TicketSymbol(%q) = %q, %v; want %q, %v", c, sym, ok, w, known)
		}
	}
}

// People see a code in three groups of four.
func TestTicketCodeString(t *testing.T) {
	if got := boxoffice.TicketCode("7KQ20A1B1CDE").String(); got != "7KQ2-0A1B-1CDE" {
		t.Errorf("String = %s, want 7KQ2-0A1B-1CDE", got)
	}
	code := boxoffice.TicketCodeFor("premiere", "cookie-token-1")
	if back, ok := boxoffice.ParseTicketCode(code.String()); !ok || back != code {
		t.Errorf("ParseTicketCode(%s) = %s, %v; want the code back", code.String(), back, ok)
	}
}

// Over 100,000 guests of one show, no two get the same code (60 bits make
// a clash among them about one in 200 million), and every code is canonical:
// it parses back to itself.
func TestTicketCodesDistinct(t *testing.T) {
	const n = 100_000
	seen := make(map[boxoffice.TicketCode]string, n)
	for range n {
		token := rand.Text()
		code := boxoffice.TicketCodeFor("premiere", token)
		if prev, ok := seen[code]; ok {
			t.Fatalf("tokens %s and %s have the same code %s", prev, token, code)
		}
		seen[code] = token
		if back, ok := boxoffice.ParseTicketCode(string(code)); !ok || back != code {
			t.Fatalf("code %s parses to %q, %v", code, back, ok)
		}
		if _, err := hex.DecodeString(string(code.Hash())); err != nil || len(code.Hash()) != 64 {
			t.Fatalf("hash of %s = %q, want 64 hex digits", code, code.Hash())
		}
	}
}
