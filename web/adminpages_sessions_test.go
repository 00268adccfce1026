package web_test

import (
	"context"
	"sync"

	"boxoffice"
	"boxoffice/web"
)

// sessions lets handlers share one store's admin sessions, as instances of
// one database do, and counts those the tests' handlers have open: the
// store keeps them, this only watches.
type sessions struct {
	mu    sync.Mutex
	store boxoffice.Store // the first handler's, which the others share
	live  map[string]bool
}

func newSessions() *sessions { return &sessions{live: map[string]bool{}} }

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// withSessions makes the config's handler one more instance on ss's
// database: the first handler's store, watched.
func withSessions(c *web.Config, ss *sessions) {
	ss.mu.Lock()
	if ss.store == nil {
		ss.store = c.Store
	}
	c.Store = sessionStore{Store: ss.store, s: ss}
	ss.mu.Unlock()
}

// sessionStore is the store, with the sessions it opens and ends counted.
type sessionStore struct {
	boxoffice.Store
	s *sessions
}

func (f sessionStore) CreateSession(ctx context.Context, as boxoffice.AdminSession) error {
	err := f.Store.CreateSession(ctx, as)
	if err == nil {
		f.s.mu.Lock()
		f.s.live[as.Hash] = true
		f.s.mu.Unlock()
	}
	return err
}

func (f sessionStore) DeleteSession(ctx context.Context, hash string) error {
	err := f.Store.DeleteSession(ctx, hash)
	if err == nil {
		f.s.mu.Lock()
		delete(f.s.live, hash)
		f.s.mu.Unlock()
	}
	return err
}
