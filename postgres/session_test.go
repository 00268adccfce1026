package postgres

import (
	"errors"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// An operator signed in through one instance is signed in on every other,
// and signing out through any one ends the session on all.
func TestSessionEveryInstance(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url, Options{}), openTest(t, url, Options{})
	ctx := t.Context()
	as := boxoffice.AdminSession{
		Hash:        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		TokenDigest: "digest",
		Expires:     time.Now().Add(12 * time.Hour).Truncate(time.Second),
	}
	if err := a.CreateSession(ctx, as); err != nil {
		t.Fatalf("CreateSession on a = %v", err)
	}
	got, err := b.Session(ctx, as.Hash)
	if err != nil || got.TokenDigest != as.TokenDigest || !got.Expires.Equal(as.Expires) {
		t.Errorf("Session on b = %+v, %v; want %+v", got, err, as)
	}
	if err := b.DeleteSession(ctx, as.Hash); err != nil {
		t.Fatalf("DeleteSession on b = %v", err)
	}
	if got, err := a.Session(ctx, as.Hash); !errors.Is(err, boxoffice.ErrNotFound) {
		t.Errorf("Session on a after sign-out on b = %+v, %v; want ErrNotFound", got, err)
	}
}
