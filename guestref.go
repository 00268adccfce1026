package boxoffice

import (
	"crypto/sha256"
	"encoding/hex"
)

// GuestRefLength is the length of a GuestRef: 12 lowercase hex digits.
const GuestRefLength = 12

// GuestRef names guest within show for the operator's door list: the first
// 48 bits of SHA-256("guest-ref\x00" + show + "\x00" + guest), in lowercase
// hex. Every instance computes the same ref, and it reveals neither the
// stored hash nor the cookie behind it; being per show, two shows' door
// lists cannot be joined to follow one guest across the programme. 48 bits
// keep collisions within one show's few hundred guests out of reach.
func GuestRef(show ShowID, guest Guest) string {
	h := sha256.New()
	h.Write([]byte("guest-ref\x00"))
	h.Write([]byte(show))
	h.Write([]byte("\x00"))
	h.Write([]byte(guest))
	return hex.EncodeToString(h.Sum(nil)[:GuestRefLength/2])
}

// ValidGuestRef tells whether ref has the shape GuestRef gives.
func ValidGuestRef(ref string) bool {
	if len(ref) != GuestRefLength {
		return false
	}
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
