package limit

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"}, // IPv4-mapped: the same client as 192.0.2.7
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"}, // same /64, same key
		{"fe80::1%eth0", "fe80::/64"},
	} {
		if got := Key(netip.MustParseAddr(tc.addr)); got.String() != tc.want {
			t.Errorf("Key(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func key(s string) netip.Prefix { return Key(netip.MustParseAddr(s)) }

func TestCounterCaps(t *testing.T) {
	c := NewCounter(2, 3)
	a, b := key("192.0.2.1"), key("192.0.2.2")
	for range 2 {
		if err := c.Acquire(a); err != nil {
			t.Fatalf("Acquire(a) = %v", err)
		}
	}
	if err := c.Acquire(a); !errors.Is(err, ErrPerKey) {
		t.Fatalf("third Acquire(a) = %v, want ErrPerKey", err)
	}
	if err := c.Check(b); err != nil {
		t.Fatalf("Check(b) = %v, want nil: b holds nothing", err)
	}
	if err := c.Acquire(b); err != nil {
		t.Fatalf("Acquire(b) = %v", err)
	}
	if err := c.Acquire(b); !errors.Is(err, ErrTotal) {
		t.Fatalf("Acquire(b) at the total = %v, want ErrTotal", err)
	}
	c.Release(a)
	if err := c.Acquire(b); err != nil {
		t.Fatalf("Acquire(b) after a release = %v", err)
	}
	if c.Held() != 3 {
		t.Fatalf("Held = %d, want 3", c.Held())
	}
	for _, k := range []netip.Prefix{a, b, b} {
		c.Release(k)
	}
	if c.Held() != 0 || len(c.held) != 0 {
		t.Fatalf("after releasing everything: Held = %d, %d keys kept", c.Held(), len(c.held))
	}
}

func TestCounterOffTakesAll(t *testing.T) {
	c := NewCounter(0, 0)
	for range 1000 {
		if err := c.Acquire(key("192.0.2.1")); err != nil {
			t.Fatal(err)
		}
	}
}

// Many goroutines racing for a capped key: never more than the cap at once.
func TestCounterNeverOverCap(t *testing.T) {
	const perKey = 5
	c := NewCounter(perKey, 0)
	k := key("192.0.2.9")
	var inside, most atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			for range 50 {
				if c.Acquire(k) != nil {
					continue
				}
				n := inside.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				inside.Add(-1)
				c.Release(k)
			}
		})
	}
	wg.Wait()
	if most.Load() > perKey {
		t.Fatalf("%d held at once, cap %d", most.Load(), perKey)
	}
	if most.Load() == 0 {
		t.Fatal("nothing was ever acquired")
	}
}

func TestRateBucket(t *testing.T) {
	r := NewRate(10, 4, 0)
	k := key("192.0.2.1")
	now := time.Unix(1000, 0)
	for i := range 4 {
		if ok, _ := r.Take(k, now); !ok {
			t.Fatalf("take %d of a burst of 4 refused", i+1)
		}
	}
	ok, wait := r.Take(k, now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("fifth take = %v, wait %v; want refused, 100ms (one token at 10/s)", ok, wait)
	}
	// A refused take takes nothing: after the wait there is exactly one.
	now = now.Add(wait)
	if ok, _ := r.Take(k, now); !ok {
		t.Fatal("take after the wait refused")
	}
	if ok, _ := r.Take(k, now); ok {
		t.Fatal("a second take after one token's wait was allowed")
	}
	// Other keys have their own buckets.
	if ok, _ := r.Take(key("192.0.2.2"), now); !ok {
		t.Fatal("another address was refused")
	}
}

func TestRateDropsRefilledBuckets(t *testing.T) {
	r := NewRate(10, 2, 0)
	now := time.Unix(1000, 0)
	for i := range 100 {
		r.Take(Key(netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)})), now)
	}
	if r.Len() != 100 {
		t.Fatalf("Len = %d, want 100", r.Len())
	}
	// Long after, every bucket is full again; taking for new keys drops the
	// old ones as it goes.
	later := now.Add(time.Minute)
	for i := range 60 {
		r.Take(Key(netip.AddrFrom4([4]byte{10, 1, 0, byte(i)})), later)
	}
	if r.Len() > 60 {
		t.Fatalf("Len = %d after 60 new keys; the 100 refilled buckets should be dropping", r.Len())
	}
}

func TestRateTableIsBounded(t *testing.T) {
	r := NewRate(1, 1, 50)
	now := time.Unix(1000, 0)
	first := key("10.9.9.9")
	r.Take(first, now) // empties its bucket
	for i := range 200 {
		if ok, _ := r.Take(Key(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})), now); !ok {
			t.Fatalf("new address %d refused: a new address must never be refused for want of room", i)
		}
	}
	if r.Len() != 50 {
		t.Fatalf("Len = %d, want the bound 50", r.Len())
	}
	// The first key was the least recently used, so it went, and comes back
	// with a full bucket: that is the price of the bound.
	if ok, _ := r.Take(first, now); !ok {
		t.Fatal("the evicted address was refused")
	}
}

func TestRateConcurrentTakesNeverExceedBurst(t *testing.T) {
	r := NewRate(0.001, 40, 0)
	k := key("2001:db8::1")
	now := time.Unix(1000, 0)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			// Any address of the /64 is the same client.
			if ok, _ := r.Take(k, now); ok {
				allowed.Add(1)
			}
			if ok, _ := r.Take(key("2001:db8::2"), now); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 40 {
		t.Fatalf("%d takes allowed, want exactly the burst of 40", allowed.Load())
	}
}

// Check says what Take would, and takes nothing: a limit on failures asks
// it before every attempt.
func TestRateCheckTakesNothing(t *testing.T) {
	r := NewRate(1, 2, 0)
	k := key("192.0.2.1")
	now := time.Unix(1000, 0)
	for range 5 {
		if ok, _ := r.Check(k, now); !ok {
			t.Fatal("Check refused a key that took nothing")
		}
	}
	r.Take(k, now)
	r.Take(k, now)
	ok, wait := r.Check(k, now)
	if ok || wait != time.Second {
		t.Fatalf("Check of an empty bucket = %v, wait %v; want refused, 1s", ok, wait)
	}
	now = now.Add(wait)
	if ok, _ := r.Check(k, now); !ok {
		t.Fatal("Check after the wait refused")
	}
	if ok, _ := r.Take(k, now); !ok {
		t.Fatal("Take after Check refused: Check took the token")
	}
}
