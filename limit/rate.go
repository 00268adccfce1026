package limit

import (
	"container/list"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is how many buckets a Rate keeps at most.
const DefaultMaxKeys = 100_000

// Rate is a token bucket per key: each key may take perSecond tokens a
// second, holding at most burst. A key's bucket exists only while it is
// below full: a bucket that has refilled is no different from a new one, so
// it is dropped, and when the table is full the least recently used bucket
// goes. A new key is never refused for want of room; the cost of the bound
// is that a key dropped while half empty starts full again.
type Rate struct {
	limit   rate.Limit
	burst   int
	maxKeys int

	mu     sync.Mutex
	keys   map[netip.Prefix]*list.Element
	recent list.List // of *bucket, most recently used first
}

type bucket struct {
	key netip.Prefix
	lim *rate.Limiter
}

// NewRate returns a Rate; burst must be at least 1. maxKeys <= 0 means
// DefaultMaxKeys.
func NewRate(perSecond float64, burst, maxKeys int) *Rate {
	if burst < 1 {
		panic("limit: a burst below 1 refuses everything")
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Rate{limit: rate.Limit(perSecond), burst: burst, maxKeys: maxKeys, keys: map[netip.Prefix]*list.Element{}}
}

// Take takes one token of k's bucket at now. If the bucket is empty it takes
// nothing and says how long until it holds a token again.
func (r *Rate) Take(k netip.Prefix, now time.Time) (ok bool, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropRefilled(now)
	var b *bucket
	if e, found := r.keys[k]; found {
		b = e.Value.(*bucket)
		r.recent.MoveToFront(e)
	} else {
		if len(r.keys) >= r.maxKeys {
			oldest := r.recent.Back()
			delete(r.keys, oldest.Value.(*bucket).key)
			r.recent.Remove(oldest)
		}
		b = &bucket{key: k, lim: rate.NewLimiter(r.limit, r.burst)}
		r.keys[k] = r.recent.PushFront(b)
	}
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	if r.limit <= 0 {
		return false, time.Duration(math.MaxInt64)
	}
	return false, time.Duration(missing / float64(r.limit) * float64(time.Second))
}

// Check tells whether Take would take a token of k's bucket at now, taking
// nothing, and if not how long until it could: for a limit on failures,
// which is consulted before each attempt but drawn on only by those that
// fail.
func (r *Rate) Check(k netip.Prefix, now time.Time) (ok bool, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, found := r.keys[k]
	if !found {
		return true, 0 // a key without a bucket has a full one
	}
	missing := 1 - e.Value.(*bucket).lim.TokensAt(now)
	switch {
	case missing <= 0:
		return true, 0
	case r.limit <= 0:
		return false, time.Duration(math.MaxInt64)
	}
	return false, time.Duration(missing / float64(r.limit) * float64(time.Second))
}

// dropRefilled drops the least recently used buckets while they are full
// again: a couple per call, so the table shrinks as fast as it grows and
// holds only the keys that wrote lately.
func (r *Rate) dropRefilled(now time.Time) {
	for range 2 {
		e := r.recent.Back()
		if e == nil {
			return
		}
		b := e.Value.(*bucket)
		if b.lim.TokensAt(now) < float64(r.burst) {
			return
		}
		delete(r.keys, b.key)
		r.recent.Remove(e)
	}
}

// Len is how many buckets the table holds.
func (r *Rate) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}
