package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// The admin sessions' tests. Sessions are checked against the fixture's
// clock, which the store must use (Options.Now): the web layer relies on
// the store, not itself, to refuse an expired session.

// session returns an admin session for cookie, opened with the token named
// digest, that expires at expires.
func session(cookie, digest string, expires time.Time) boxoffice.AdminSession {
	sum := sha256.Sum256([]byte(cookie))
	return boxoffice.AdminSession{Hash: hex.EncodeToString(sum[:]), TokenDigest: digest, Expires: expires}
}

func (f *fixture) createSession(as boxoffice.AdminSession) {
	f.t.Helper()
	if err := f.store.CreateSession(f.ctx, as); err != nil {
		f.t.Fatalf("CreateSession(%.8s…) = %v", as.Hash, err)
	}
}

// wantSession fails the test unless the store returns want for its hash.
func (f *fixture) wantSession(want boxoffice.AdminSession, what string) {
	f.t.Helper()
	got, err := f.store.Session(f.ctx, want.Hash)
	if err != nil {
		f.t.Errorf("%s: Session(%.8s…) = %v, want the session", what, want.Hash, err)
		return
	}
	if got.Hash != want.Hash || got.TokenDigest != want.TokenDigest || !got.Expires.Equal(want.Expires) {
		f.t.Errorf("%s: Session = {%.8s… %q %v}, want {%.8s… %q %v}", what,
			got.Hash, got.TokenDigest, got.Expires, want.Hash, want.TokenDigest, want.Expires)
	}
}

// wantNoSession fails the test unless the store answers ErrNotFound for hash.
func (f *fixture) wantNoSession(hash, what string) {
	f.t.Helper()
	got, err := f.store.Session(f.ctx, hash)
	if !errors.Is(err, boxoffice.ErrNotFound) {
		f.t.Errorf("%s: Session(%.8s…) = %+v, %v; want ErrNotFound", what, hash, got, err)
	}
}

// A session reads back as created, until it is deleted, and deleting it
// ends that session alone; deleting none is no error.
func testSessionRoundTrip(t *testing.T, f *fixture) {
	a := session("cookie-a", "digest-1", t0.Add(12*time.Hour))
	b := session("cookie-b", "digest-2", t0.Add(6*time.Hour))
	f.wantNoSession(a.Hash, "before any sign-in")
	f.createSession(a)
	f.createSession(b)
	f.wantSession(a, "a after sign-in")
	f.wantSession(b, "b after sign-in")

	if err := f.store.DeleteSession(f.ctx, a.Hash); err != nil {
		t.Fatalf("DeleteSession(a) = %v", err)
	}
	f.wantNoSession(a.Hash, "a after its sign-out")
	f.wantSession(b, "b after a's sign-out")
	if err := f.store.DeleteSession(f.ctx, a.Hash); err != nil {
		t.Errorf("DeleteSession(a) again = %v, want nil", err)
	}
	if err := f.store.DeleteSession(f.ctx, session("never", "", t0).Hash); err != nil {
		t.Errorf("DeleteSession(unknown) = %v, want nil", err)
	}
}

// A session is live while its expiry is after the store's clock, and not
// from that instant on.
func testSessionExpiry(t *testing.T, f *fixture) {
	expires := t0.Add(12 * time.Hour)
	a := session("cookie-a", "digest", expires)
	f.createSession(a)
	f.clock.Set(expires.Add(-time.Second))
	f.wantSession(a, "a second before expiry")
	f.clock.Set(expires)
	f.wantNoSession(a.Hash, "at expiry")
	f.clock.Set(expires.Add(time.Hour))
	f.wantNoSession(a.Hash, "an hour after expiry")

	f.clock.Set(t0)
	late := session("cookie-late", "digest", t0.Add(-time.Minute))
	if err := f.store.CreateSession(f.ctx, late); err != nil {
		t.Fatalf("CreateSession(already expired) = %v", err)
	}
	f.wantNoSession(late.Hash, "created already expired")
}

// A sign-in deletes the sessions that have expired, and only those: an
// expired session, were the clock to go back, stays gone, and its hash is
// free again.
func testSessionPruned(t *testing.T, f *fixture) {
	old := session("cookie-old", "digest", t0.Add(time.Hour))
	live := session("cookie-live", "digest", t0.Add(3*time.Hour))
	f.createSession(old)
	f.createSession(live)

	f.clock.Set(t0.Add(2 * time.Hour))
	f.wantNoSession(old.Hash, "old once expired")
	f.createSession(session("cookie-new", "digest", t0.Add(14*time.Hour)))

	// Back to when old was live: only a row that is gone stays unfound.
	f.clock.Set(t0)
	f.wantNoSession(old.Hash, "old after a sign-in pruned it, clock set back")
	f.wantSession(live, "live after the prune")
	f.createSession(old) // refused if its row were still there
	f.wantSession(old, "old created anew")
}

// A second session with a taken hash is refused and leaves the first as it
// was, rather than giving its holder another token's digest or expiry.
func testSessionDuplicate(t *testing.T, f *fixture) {
	a := session("cookie-a", "digest-1", t0.Add(12*time.Hour))
	f.createSession(a)
	again := session("cookie-a", "digest-2", t0.Add(24*time.Hour))
	if err := f.store.CreateSession(f.ctx, again); err == nil {
		t.Errorf("CreateSession(a taken hash) = nil, want an error")
	}
	f.wantSession(a, "a after the refused duplicate")
}

// Operators signing in and out at once, while expired sessions wait to be
// pruned, each get their own session and end only their own.
func testSessionsConcurrent(t *testing.T, f *fixture) {
	const n = 40
	for i := range n {
		f.createSession(session(fmt.Sprint("expired-", i), "digest", t0.Add(time.Minute)))
	}
	f.clock.Set(t0.Add(time.Hour))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			as := session(fmt.Sprint("operator-", i), "digest", t0.Add(13*time.Hour))
			if err := f.store.CreateSession(f.ctx, as); err != nil {
				t.Errorf("operator %d: CreateSession = %v", i, err)
				return
			}
			got, err := f.store.Session(f.ctx, as.Hash)
			if err != nil || got.Hash != as.Hash {
				t.Errorf("operator %d: Session = %.8s…, %v; want its own", i, got.Hash, err)
			}
			if i%2 == 0 {
				if err := f.store.DeleteSession(f.ctx, as.Hash); err != nil {
					t.Errorf("operator %d: DeleteSession = %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	for i := range n {
		as := session(fmt.Sprint("operator-", i), "digest", t0.Add(13*time.Hour))
		if i%2 == 0 {
			f.wantNoSession(as.Hash, fmt.Sprint("operator ", i, " after sign-out"))
		} else {
			f.wantSession(as, fmt.Sprint("operator ", i))
		}
	}
	f.clock.Set(t0)
	for i := range n {
		f.wantNoSession(session(fmt.Sprint("expired-", i), "", t0).Hash, fmt.Sprint("expired ", i, ", clock set back"))
	}
}
