package web

import (
	"strconv"
	"testing"
)

// A Last-Event-ID is whatever a client sends: resumeFrom never panics, and
// resumes only from a version of the show within maxReplay of the current
// one, exactly the one named; anything else gets a snapshot.
func FuzzLastEventID(f *testing.F) {
	for _, seed := range []struct {
		id      string
		version int64
	}{
		{"", 0}, {"0", 0}, {"7", 7}, {"3", 7}, {"8", 7}, {"-1", 7}, {"+3", 7}, {" 3", 7}, {"3 ", 7},
		{"0", 500}, {"0", 501}, {"1", 501}, {"007", 7}, {"0x3", 7}, {"1e2", 500}, {"3.0", 7},
		{"9223372036854775807", 9223372036854775807}, {"9223372036854775808", 9223372036854775807},
		{"0", 9223372036854775807}, {"-9223372036854775808", 0}, {"٣", 7}, {"3\x00", 7},
	} {
		f.Add(seed.id, seed.version)
	}
	f.Fuzz(func(t *testing.T, id string, version int64) {
		if version < 0 {
			version = -(version + 1) // a show's version is never negative
		}
		from, ok := resumeFrom(id, version)
		if !ok {
			if from != 0 {
				t.Errorf("resumeFrom(%q, %d) = %d, false: a snapshot, yet a version", id, version, from)
			}
			// A plain decimal id within reach must resume.
			if n, err := strconv.ParseInt(id, 10, 64); err == nil && strconv.FormatInt(n, 10) == id &&
				n >= 0 && n <= version && version-n <= maxReplay {
				t.Errorf("resumeFrom(%q, %d) sends a snapshot to a client %d behind", id, version, version-n)
			}
			return
		}
		if from < 0 || from > version || version-from > maxReplay {
			t.Errorf("resumeFrom(%q, %d) resumes from %d: outside 0..%d within %d", id, version, from, version, maxReplay)
		}
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n != from {
			t.Errorf("resumeFrom(%q, %d) resumes from %d, not the version the client named", id, version, from)
		}
	})
}
