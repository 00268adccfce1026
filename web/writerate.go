package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"boxoffice"
	"boxoffice/limit"
)

var tooManyRequestsError = boxoffice.Error{Code: codeTooManyRequests,
	Detail: "Too many seat changes from your network just now. Wait the seconds Retry-After names, then try again."}

// writeRate is the bucket of seat writes each client address draws on. A
// seat write takes a token before anything else is checked, whatever comes
// of it: failed writes cost the server as much as good ones. The bucket is
// keyed on the address, not the guest, since a new guest is only a missing
// cookie away.
type writeRate struct {
	s      *server
	bucket *limit.Rate // nil: off
}

func (s *server) newWriteRate() (*writeRate, error) {
	wr := &writeRate{s: s}
	if s.WriteRate <= 0 {
		return wr, nil
	}
	if s.WriteBurst < 1 {
		return nil, errors.New("web: a write rate needs a burst of at least 1")
	}
	wr.bucket = limit.NewRate(s.WriteRate, s.WriteBurst, 0)
	return wr, nil
}

// api limits a JSON seat write: over the rate it answers 429 with
// Retry-After.
func (wr *writeRate) api(next http.Handler) http.Handler {
	return wr.limit(next, func(w http.ResponseWriter, r *http.Request, retry int64) {
		wr.s.writeProblem(w, r, &tooManyRequestsError)
	})
}

// form limits the seat map's form: over the rate it sends the browser back
// to the map, which says how long to wait (a 429 page would lose the map).
func (wr *writeRate) form(next http.Handler) http.Handler {
	return wr.limit(next, func(w http.ResponseWriter, r *http.Request, retry int64) {
		redirectToMap(w, r, r.PathValue("show"), resultTooManyRequests, "", url.Values{"retry": {strconv.FormatInt(retry, 10)}})
	})
}

// resultTooManyRequests is the form's outcome when the write rate refused it.
const resultTooManyRequests = "too-many-requests"

func (wr *writeRate) limit(next http.Handler, refuse func(http.ResponseWriter, *http.Request, int64)) http.Handler {
	if wr.bucket == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := clientOf(r)
		now := wr.s.Now()
		ok, wait := wr.bucket.Take(c.Key, now)
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		refuse(w, r, wr.s.refusedFor(w, r, "write_rate", wait))
	})
}
