package web

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"
)

// refused counts a request that a limit refused (one of the limits of
// boxoffice_limited_total) and names its client in the log at most once a
// minute, whatever the limit: each refusal already has its access line
// (unless --access-log is off), and an attack must not flood the log
// through the warnings about it.
func (s *server) refused(ctx context.Context, limit string) {
	s.Observer.Limited(limit)
	c := clientIn(ctx)
	if first, _ := s.warnings.Take(c.Key, s.Now()); first {
		s.log.WarnContext(ctx, "client is over a limit; further refusals this minute are only counted in boxoffice_limited_total",
			slog.String("client", c.Addr.String()), slog.String("limit", limit))
	}
}

// refusedFor is refused for a limit that knows when it will let the client
// through: it also sets Retry-After to that wait, and returns it in seconds.
func (s *server) refusedFor(w http.ResponseWriter, r *http.Request, limit string, wait time.Duration) int64 {
	s.refused(r.Context(), limit)
	retry := retryAfter(wait)
	w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
	return retry
}

// retryAfter is a wait in whole seconds, rounded up and at least 1: a client
// that waits what it is told finds a token.
func retryAfter(wait time.Duration) int64 {
	if wait > math.MaxInt64-time.Second {
		return math.MaxInt64 / int64(time.Second)
	}
	s := int64((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
