package load

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Operation names: the rows of the report.
const (
	opBook      = "book"
	opRelease   = "release"
	opGroupBook = "book group"
	opShowJSON  = "show JSON"
	opPage      = "seat-map page"
	opReaderGET = "show JSON, no cookie"
	opBaseline  = "baseline"
	opDelivery  = "event delivery"
)

// worker is one virtual client. step sends its next request; intended is
// when the schedule meant it to start, so that a late start counts in its
// latency (open loop) rather than hiding how far behind the server is.
type worker interface {
	step(ctx context.Context, intended time.Time)
	tallies() map[string]*tally
}

// counts is what every worker shares: operations finished, for the progress bar.
type counts struct{ done atomic.Int64 }

type tallies struct {
	m     map[string]*tally
	count *counts
}

func newTallies(c *counts) tallies { return tallies{m: map[string]*tally{}, count: c} }

func (t tallies) record(op string, intended time.Time, o outcome) {
	d := time.Since(intended)
	tl := t.m[op]
	if tl == nil {
		tl = &tally{}
		t.m[op] = tl
	}
	tl.record(d, o)
	t.count.done.Add(1)
}

// classify turns an answer into an outcome and what it tells the invariant
// check.
func classify(status int, err error) (outcome, Result) {
	switch {
	case err != nil || status == 0:
		return outcomeError, Uncertain
	case status == http.StatusTooManyRequests:
		// The write rate is checked before anything else, and a refused
		// request changes nothing.
		return outcomeLimited, Refused
	case status == http.StatusServiceUnavailable:
		// Counted as limited, as the issue has it; but boxoffice answers a
		// write 503 when its commit failed, which may or may not have
		// taken effect.
		return outcomeUnavailable, Uncertain
	case status >= 500:
		return outcomeError, Uncertain
	case status == http.StatusConflict || status == http.StatusForbidden:
		return outcomeConflict, Refused
	case status >= 200 && status < 300:
		return outcomeOK, Acked
	}
	return outcomeError, Refused
}

// isLimited says whether status is a refusal that the report counts as
// limited: 429 (a limit per client) or 503 (the server at a limit of its own,
// or unavailable).
func isLimited(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// retryAfter is how long an answer asks the client to wait (whole seconds, as
// boxoffice sends it), 1 s if it does not say, at most a minute.
func retryAfter(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n < 1 {
		return time.Second
	}
	return time.Duration(min(n, 60)) * time.Second
}

// sendTimes maps a show version to when the write that made it was sent,
// for the watchers' delivery latency.
type sendTimes struct {
	mu sync.RWMutex
	m  map[int64]time.Time
}

func newSendTimes() *sendTimes { return &sendTimes{m: map[int64]time.Time{}} }

func (s *sendTimes) put(v int64, t time.Time) {
	s.mu.Lock()
	s.m[v] = t
	s.mu.Unlock()
}

func (s *sendTimes) get(v int64) (time.Time, bool) {
	s.mu.RLock()
	t, ok := s.m[v]
	s.mu.RUnlock()
	return t, ok
}

// writer is a guest who books and releases: a seat at a time (hot, spread,
// watch) or an adjacent group at once (groups), releasing what it holds
// before it books again, one request per step.
type writer struct {
	id     int
	c      caller
	show   string
	seats  []string   // the seats it picks from
	groups [][]string // adjacent runs to book at once; nil: single seats
	rng    *rand.Rand
	t      tallies
	sent   *sendTimes // nil unless watched
	held   []string   // seats it holds, or may hold after an uncertain answer
	unsure bool       // an answer about held was uncertain
	ops    []Op
}

func (w *writer) tallies() map[string]*tally { return w.t.m }

func (w *writer) step(ctx context.Context, intended time.Time) {
	if len(w.held) > 0 {
		seat := w.held[len(w.held)-1]
		res, limited := w.write(ctx, intended, opRelease, http.MethodDelete, seatPath(w.show, seat), nil, []string{seat}, false)
		// A release refused by a limit left the seat the guest's: it tries
		// again next time, as one an answer was lost for.
		if res != Uncertain && !limited {
			w.held = w.held[:len(w.held)-1]
		}
		return
	}
	w.unsure = false
	if w.groups != nil {
		g := w.groups[w.rng.IntN(len(w.groups))]
		body, _ := json.Marshal(map[string][]string{"seats": g})
		if res, _ := w.write(ctx, intended, opGroupBook, http.MethodPost, showPath(w.show)+"/bookings", body, g, true); res != Refused {
			w.held = append(w.held, g...)
		}
		return
	}
	seat := w.seats[w.rng.IntN(len(w.seats))]
	if res, _ := w.write(ctx, intended, opBook, http.MethodPut, seatPath(w.show, seat), nil, []string{seat}, true); res != Refused {
		w.held = append(w.held, seat)
	}
}

// write sends one booking or release and records it, for the figures and
// for the invariant check; limited says a limit refused it.
func (w *writer) write(ctx context.Context, intended time.Time, op, method, path string, body []byte,
	seats []string, book bool) (res Result, limited bool) {
	sentAt := time.Now()
	status, err := w.c.do(ctx, method, path, body)
	o, res := classify(status, err)
	limited = o.isLimited()
	var version int64
	if res == Acked {
		var a writeAnswer
		if json.Unmarshal(w.c.buf.Bytes(), &a) != nil || a.Version <= 0 {
			o, res = outcomeError, Uncertain
		}
		version = a.Version
	}
	w.t.record(op, intended, o)
	w.ops = append(w.ops, Op{Guest: w.id, Seats: seats, Book: book, Result: res, Version: version})
	// Watchers time each event from the send of the write that made its
	// version; only an answer sure to be a change of this guest's own may
	// claim it, not a repeat of an operation whose first answer was lost
	// (a repeat carries the show's current version, someone else's).
	if res == Uncertain {
		w.unsure = true
	}
	if w.sent != nil && res == Acked && !w.unsure {
		w.sent.put(version, sentAt)
	}
	return res, limited
}

// reader loads one path again and again.
type reader struct {
	c    caller
	op   string
	path string
	t    tallies
}

func (r *reader) tallies() map[string]*tally { return r.t.m }

func (r *reader) step(ctx context.Context, intended time.Time) {
	status, err := r.c.do(ctx, http.MethodGet, r.path, nil)
	r.t.record(r.op, intended, readOutcome(status, err))
}

// readOutcome is what a read's answer counts as: ok only for a 200, a
// refusal by a limit apart, anything else an error.
func readOutcome(status int, err error) outcome {
	switch {
	case err == nil && status == http.StatusTooManyRequests:
		return outcomeLimited
	case err == nil && status == http.StatusServiceUnavailable:
		return outcomeUnavailable
	case err != nil || status != http.StatusOK:
		return outcomeError
	}
	return outcomeOK
}

func pagePath(show string) string { return "/shows/" + url.PathEscape(show) }
