package web_test

import (
	"context"
	"sync"

	"boxoffice"
	"boxoffice/web"
)

// sessionStore keeps admin sessions in memory over a real store: the
// stores' own sessions are being written beside these pages. Once they
// land, the tests drop this fake (withSessions) and run on the stores.
type sessionStore struct {
	boxoffice.Store
	s *sessions
}

func (f sessionStore) CreateSession(ctx context.Context, as boxoffice.AdminSession) error {
	return f.s.CreateSession(ctx, as)
}
func (f sessionStore) Session(ctx context.Context, hash string) (boxoffice.AdminSession, error) {
	return f.s.Session(ctx, hash)
}
func (f sessionStore) DeleteSession(ctx context.Context, hash string) error {
	return f.s.DeleteSession(ctx, hash)
}

// sessions is shared by every handler built on it: instances of one database.
type sessions struct {
	mu sync.Mutex
	m  map[string]boxoffice.AdminSession
}

func newSessions() *sessions { return &sessions{m: map[string]boxoffice.AdminSession{}} }

func (s *sessions) CreateSession(_ context.Context, as boxoffice.AdminSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[as.Hash] = as
	return nil
}

func (s *sessions) Session(_ context.Context, hash string) (boxoffice.AdminSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	as, ok := s.m[hash]
	if !ok {
		return boxoffice.AdminSession{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "no session")
	}
	return as, nil
}

func (s *sessions) DeleteSession(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, hash)
	return nil
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// withSessions wraps the config's store with the sessions ss.
func withSessions(c *web.Config, ss *sessions) {
	c.Store = sessionStore{Store: c.Store, s: ss}
}
