// Package limit bounds what one client address can make the server hold or
// do: a token bucket of writes per address, and counts of what each address
// holds open (event streams, connections) under a cap per address and a cap
// in all. It knows nothing of HTTP; the web and server packages decide what
// an address is and what to answer when a limit is met.
package limit

import (
	"errors"
	"net/netip"
	"sync"
)

// Key is the address that limits count against: an IPv4 address, or the /64
// an IPv6 address lies in, since one IPv6 host commonly holds a whole /64
// and could otherwise take a fresh address for every request.
func Key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.WithZone("").Prefix(64) // a valid IPv6 address always has a /64
	return p
}

// Errors of Counter.Acquire.
var (
	ErrPerKey = errors.New("limit: this address holds as many as it may")
	ErrTotal  = errors.New("limit: the server holds as many as it may")
)

// Counter counts what each key holds open, under a cap per key and a cap in
// all; a cap of 0 is off. Its memory is one map entry per key that holds
// something, so it is bounded by what is held.
type Counter struct {
	perKey, total int

	mu    sync.Mutex
	held  map[netip.Prefix]int
	count int
}

// NewCounter returns a counter with the given caps (0: no cap).
func NewCounter(perKey, total int) *Counter {
	return &Counter{perKey: perKey, total: total, held: map[netip.Prefix]int{}}
}

// Acquire takes one for k, or says which cap stands in the way: ErrTotal
// before ErrPerKey, since a full server is no fault of the client's. Each
// successful Acquire is paired with one Release.
func (c *Counter) Acquire(k netip.Prefix) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(k); err != nil {
		return err
	}
	c.held[k]++
	c.count++
	return nil
}

// Check tells what Acquire would answer now, taking nothing.
func (c *Counter) Check(k netip.Prefix) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.check(k)
}

func (c *Counter) check(k netip.Prefix) error {
	switch {
	case c.total > 0 && c.count >= c.total:
		return ErrTotal
	case c.perKey > 0 && c.held[k] >= c.perKey:
		return ErrPerKey
	}
	return nil
}

// Release gives back one that Acquire took for k.
func (c *Counter) Release(k netip.Prefix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch n := c.held[k]; {
	case n > 1:
		c.held[k] = n - 1
	case n == 1:
		delete(c.held, k)
	default:
		panic("limit: Release without Acquire")
	}
	c.count--
}

// Held is how many are held in all.
func (c *Counter) Held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}
