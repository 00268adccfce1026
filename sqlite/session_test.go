package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"boxoffice"
)

// Sessions are in the file, not the process: restarting the server signs
// no operator out.
func TestSessionSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boxoffice.db")
	first, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	as := boxoffice.AdminSession{
		Hash:        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		TokenDigest: "digest",
		Expires:     time.Now().Add(12 * time.Hour).Truncate(time.Second),
	}
	if err := first.CreateSession(t.Context(), as); err != nil {
		t.Fatalf("CreateSession = %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	again := openTest(t, path, Options{})
	got, err := again.Session(t.Context(), as.Hash)
	if err != nil || got.TokenDigest != as.TokenDigest || !got.Expires.Equal(as.Expires) {
		t.Errorf("Session after a restart = %+v, %v; want %+v", got, err, as)
	}
}
