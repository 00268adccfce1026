package web

import (
	"context"
	"log/slog"
)

// refused counts a request that a limit refused (one of the limits of
// boxoffice_limited_total) and names its client in the log at most once a
// minute, whatever the limit: each refusal already has its access line, and
// an attack must not flood the log through the warnings about it.
func (s *server) refused(ctx context.Context, limit string) {
	s.Observer.Limited(limit)
	c := clientIn(ctx)
	if first, _ := s.warnings.Take(c.Key, s.Now()); first {
		s.log.WarnContext(ctx, "client is over a limit; further refusals this minute are only counted in boxoffice_limited_total",
			slog.String("client", c.Addr.String()), slog.String("limit", limit))
	}
}
