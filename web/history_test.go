package web_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"boxoffice"
	"boxoffice/web"
)

// forgetfulStore is a store whose change log starts after version floor, as
// after compaction or ForgetHistory.
type forgetfulStore struct {
	boxoffice.Store
	floor atomic.Int64
}

func (s *forgetfulStore) ChangesSince(ctx context.Context, show boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	if floor := s.floor.Load(); after < floor {
		return nil, boxoffice.HistoryGoneError(show, after, floor)
	}
	return s.Store.ChangesSince(ctx, show, after, limit)
}

// A client resuming from a version whose changes the store no longer keeps
// gets a snapshot, never a gap and never an error; one resuming above the
// floor still gets only what it missed.
func TestResumeFromForgottenVersionGetsSnapshot(t *testing.T) {
	store := &forgetfulStore{}
	e := newEnvWith(t, testLayout, func(c *web.Config) {
		store.Store = c.Store
		c.Store = store
	}, (*httptest.Server).Start)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	alice.book(openShow, "A2")
	alice.book(openShow, "A3")
	store.floor.Store(2)

	if ev := bob.events(openShow, "1").next(); ev.name != "snapshot" || ev.id != "3" {
		t.Errorf("resuming from version 1, below the log's floor: %s %s, want snapshot 3", ev.name, ev.id)
	}
	if ev := bob.events(openShow, "2").next(); ev.name != "seats" || ev.id != "3" {
		t.Errorf("resuming from version 2, the log's floor: %s %s, want seats 3", ev.name, ev.id)
	}
}
