package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/web"
)

// clock is a fake Config.Now that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer collects log output from handlers running on other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// lines returns the logged lines that contain every one of want.
func (b *syncBuffer) lines(want ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for l := range strings.Lines(b.b.String()) {
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

// limited is a handler with a write rate, served in process so that each
// request can come from an address of the test's choosing.
type limited struct {
	t     *testing.T
	e     *env
	h     http.Handler
	clock *clock
	log   *syncBuffer
	obs   *observer
}

func newLimited(t *testing.T, configure func(*web.Config)) *limited {
	t.Helper()
	l := &limited{t: t, clock: newClock(), log: &syncBuffer{}, obs: &observer{}}
	l.e = newEnvWith(t, testLayout, func(c *web.Config) {
		c.Now = l.clock.Now
		c.Logger = slog.New(slog.NewTextHandler(l.log, nil))
		c.Observer = l.obs
		configure(c)
	}, (*httptest.Server).Start)
	l.h = l.e.srv.Config.Handler
	return l
}

// do serves one request from remote ("ip:port") without a cookie: every
// request is a new guest, as a script rotating cookies would be.
func (l *limited) do(method, path, remote string, header ...string) *httptest.ResponseRecorder {
	l.t.Helper()
	var body *strings.Reader
	switch {
	case strings.HasPrefix(path, "/shows/"):
		body = strings.NewReader("seat=A1")
	case strings.HasSuffix(path, "/bookings"):
		body = strings.NewReader(`{"seats":["B1"]}`)
	default:
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = remote
	switch {
	case strings.HasPrefix(path, "/shows/"):
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case strings.HasSuffix(path, "/bookings"):
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	return rec
}

func (l *limited) put(seat, remote string, header ...string) *httptest.ResponseRecorder {
	l.t.Helper()
	return l.do("PUT", "/api/shows/"+openShow+"/seats/"+seat, remote, header...)
}

// wantRefused checks a 429 too-many-requests problem with Retry-After.
func wantRefused(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", rec.Code, rec.Body)
	}
	var p struct{ Type string }
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != "/problems/too-many-requests" {
		t.Fatalf("body %s: want a problem of type /problems/too-many-requests (%v)", rec.Body, err)
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

func wantOK(t *testing.T, rec *httptest.ResponseRecorder, what string) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d, want 200; body %s", what, rec.Code, rec.Body)
	}
}

const alice, bob = "192.0.2.1:40000", "192.0.2.2:40000"

// A client gets its burst, then 429 with Retry-After in whole seconds,
// rounded up, until its bucket holds a token again; and however it rotates
// cookies (each request here is a new guest), no sooner.
func TestWriteRateBurstThen429(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 0.25, 3 }) // a token every 4 s
	for _, seat := range []string{"A1", "A2", "A3"} {
		wantOK(t, l.put(seat, alice), "PUT "+seat+" within the burst")
	}
	wantRefused(t, l.put("A4", alice), "4")
	l.clock.Add(3500 * time.Millisecond)
	wantRefused(t, l.put("A4", alice), "1") // 0.5 s left: rounded up to 1
	l.clock.Add(500 * time.Millisecond)
	wantOK(t, l.put("A4", alice), "PUT after the wait")
	wantRefused(t, l.put("A5", alice), "4")
}

// A refused write changes nothing and takes no token: refusals do not push
// the client's next chance further away.
func TestWriteRateRefusalChangesNothing(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 1, 1 })
	wantOK(t, l.put("A1", alice), "first PUT")
	for range 10 {
		wantRefused(t, l.put("A2", alice), "1")
		if rec := l.do("DELETE", "/api/shows/"+openShow+"/seats/A1", alice); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("DELETE over the rate: %d, want 429", rec.Code)
		}
		if rec := l.do("POST", "/api/shows/"+openShow+"/bookings", alice); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("POST bookings over the rate: %d, want 429", rec.Code)
		}
	}
	g := l.e.guest()
	if st := g.statuses(openShow); st["A1"] != "booked" || st["A2"] != "free" || st["B1"] != "free" {
		t.Fatalf("after refused writes A1, A2, B1 are %s, %s, %s; want booked, free, free", st["A1"], st["A2"], st["B1"])
	}
	l.clock.Add(time.Second) // exactly one token, had the refusals taken none
	wantOK(t, l.put("A2", alice), "PUT one token's time after 30 refusals")
}

// Every seat write counts, whatever comes of it: a write to an unknown
// seat, or to a seat someone else holds, takes its token too.
func TestWriteRateCountsFailedWrites(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 1, 2 })
	if rec := l.put("Z99", alice); rec.Code != http.StatusNotFound {
		t.Fatalf("PUT unknown seat: %d, want 404", rec.Code)
	}
	if rec := l.do("PUT", "/api/shows/no-such-show/seats/A1", alice); rec.Code != http.StatusNotFound {
		t.Fatalf("PUT in unknown show: %d, want 404", rec.Code)
	}
	wantRefused(t, l.put("A1", alice), "1")
}

// Buckets are per client address: one address over its rate does not stop
// another, and IPv6 addresses of one /64 are one client.
func TestWriteRateBucketPerAddress(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 1, 1 })
	wantOK(t, l.put("A1", alice), "alice")
	wantRefused(t, l.put("A2", alice), "1")
	wantOK(t, l.put("A2", bob), "bob, after alice was refused")
	wantOK(t, l.put("A3", "[2001:db8:1:2::1]:40000"), "an IPv6 client")
	wantRefused(t, l.put("A4", "[2001:db8:1:2::ffff]:40000"), "1")
	wantOK(t, l.put("A4", "[2001:db8:1:3::1]:40000"), "the next /64")
}

// Behind a trusted proxy the bucket follows X-Forwarded-For: clients of one
// proxy have their own buckets, and a client is the same through any proxy.
func TestWriteRateBehindTrustedProxy(t *testing.T) {
	l := newLimited(t, func(c *web.Config) {
		c.WriteRate, c.WriteBurst = 1, 1
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	const proxy1, proxy2 = "10.0.0.1:50000", "10.0.0.2:50000"
	wantOK(t, l.put("A1", proxy1, "X-Forwarded-For", "198.51.100.1"), "client 1")
	wantOK(t, l.put("A2", proxy1, "X-Forwarded-For", "198.51.100.2"), "client 2 through the same proxy")
	wantRefused(t, l.put("A3", proxy2, "X-Forwarded-For", "198.51.100.1"), "1")
	// A client cannot pick its bucket by writing the header itself: the
	// proxy appends the address it saw, and that is the one read.
	wantRefused(t, l.put("A3", proxy1, "X-Forwarded-For", "203.0.113.7, 198.51.100.1"), "1")
}

// From a peer that is not a trusted proxy X-Forwarded-For is ignored: a
// script cannot get a fresh bucket by making up addresses.
func TestWriteRateIgnoresForwardedFromUntrustedPeer(t *testing.T) {
	l := newLimited(t, func(c *web.Config) {
		c.WriteRate, c.WriteBurst = 1, 1
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	wantOK(t, l.put("A1", alice, "X-Forwarded-For", "198.51.100.1"), "first")
	wantRefused(t, l.put("A2", alice, "X-Forwarded-For", "198.51.100.2"), "1")
	wantRefused(t, l.put("A2", alice, "X-Forwarded-For", "10.0.0.9"), "1")
}

// The seat map's form is sent back to the map with the outcome and the
// wait, Post/Redirect/Get, rather than to an error page.
func TestWriteRateFormRedirects(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 0.5, 1 })
	if rec := l.do("POST", "/shows/"+openShow, alice); rec.Code != http.StatusSeeOther ||
		!strings.Contains(rec.Header().Get("Location"), "result=booked") {
		t.Fatalf("first form post: %d to %q, want 303 with result=booked", rec.Code, rec.Header().Get("Location"))
	}
	rec := l.do("POST", "/shows/"+openShow, alice)
	want := "/shows/" + openShow + "?result=too-many-requests&retry=2"
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
		t.Fatalf("form post over the rate: %d to %q, want 303 to %q", rec.Code, rec.Header().Get("Location"), want)
	}
	if l.obs.limitedCount("write_rate") != 1 {
		t.Fatalf("observer heard %v, want one write_rate", l.obs.limits())
	}
}

// Reading is never limited, however far over its write rate a client is.
func TestWriteRateLeavesReadsAlone(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 1, 1 })
	wantOK(t, l.put("A1", alice), "first PUT")
	wantRefused(t, l.put("A2", alice), "1")
	for range 20 {
		for _, path := range []string{"/", "/shows/" + openShow, "/api/shows", "/api/shows/" + openShow,
			"/api/shows/" + openShow + "/seats/A1", "/healthz"} {
			if rec := l.do("GET", path, alice); rec.Code != http.StatusOK {
				t.Fatalf("GET %s over the write rate: %d, want 200", path, rec.Code)
			}
		}
	}
}

// WriteRate 0 is off: a config without limits limits nothing.
func TestWriteRateOff(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteBurst = 1 })
	for i := range 60 {
		// A seat another guest holds answers 409: whatever it answers, it
		// is not refused by a rate.
		if rec := l.put("A1", alice); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("write %d refused with the rate off", i+1)
		}
	}
	if n := len(l.obs.limits()); n != 0 {
		t.Fatalf("observer heard %d refusals with the rate off", n)
	}
}

func TestWriteRateNeedsABurst(t *testing.T) {
	if _, err := web.NewHandler(web.Config{WriteRate: 10}); err == nil {
		t.Fatal("NewHandler accepted a write rate with a burst of 0, which would refuse every write")
	}
}

// Each refusal is counted and logged as an INFO access line with the
// client; a warning is logged at most once per address a minute.
func TestWriteRateRefusalsAreCountedAndQuiet(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 0.001, 1 })
	wantOK(t, l.put("A1", alice), "alice's first")
	wantOK(t, l.put("A3", bob), "bob's first")
	for range 10 {
		l.put("A2", alice)
		l.clock.Add(5 * time.Second)
	}
	l.put("A2", bob)
	if n := l.obs.limitedCount("write_rate"); n != 11 {
		t.Fatalf("observer heard %d write_rate refusals, want 11 (%v)", n, l.obs.limits())
	}
	warns := func(client string) int {
		return len(l.log.lines("level=WARN", "client is over a limit", "limit=write_rate", "client="+client))
	}
	if warns("192.0.2.1") != 1 || warns("192.0.2.2") != 1 {
		t.Fatalf("warnings for alice %d, bob %d; want 1 each:\n%s", warns("192.0.2.1"), warns("192.0.2.2"), l.log.lines("WARN"))
	}
	if n := len(l.log.lines("level=WARN")); n != 2 {
		t.Fatalf("%d warnings in all, want only the 2 about the rate:\n%s", n, l.log.lines("WARN"))
	}
	if n := len(l.log.lines("level=INFO", "msg=request", "client=192.0.2.1", "status=429")); n != 10 {
		t.Fatalf("%d INFO access lines of alice's 429s, want 10", n)
	}
	l.clock.Add(15 * time.Second) // over a minute since alice's warning
	l.put("A2", alice)
	if warns("192.0.2.1") != 2 {
		t.Fatalf("alice's warnings after a minute: %d, want 2", warns("192.0.2.1"))
	}
}

func (o *observer) limitedCount(limit string) int {
	n := 0
	for _, l := range o.limits() {
		if l == limit {
			n++
		}
	}
	return n
}

// The problem's type names a page that tells a guest what to do.
func TestTooManyRequestsPage(t *testing.T) {
	l := newLimited(t, func(*web.Config) {})
	rec := l.do("GET", "/problems/too-many-requests", alice)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /problems/too-many-requests: %d", rec.Code)
	}
	for _, want := range []string{"Too many requests", "Retry-After", "try again", "share"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the page does not say %q:\n%s", want, rec.Body)
		}
	}
}

// Many writes from one address at once get exactly the burst through,
// however many guests they claim to be.
func TestWriteRateConcurrentBurst(t *testing.T) {
	const burst = 10
	l := newLimited(t, func(c *web.Config) { c.WriteRate, c.WriteBurst = 0.001, burst })
	seats := []string{"A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4", "B5", "B6"}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			// 200 or 409: through the rate either way.
			if rec := l.put(seats[i%len(seats)], alice); rec.Code != http.StatusTooManyRequests {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if passed != burst {
		t.Fatalf("%d of 100 concurrent writes got past the rate, want the burst of %d", passed, burst)
	}
}

// A refusal by any limit is counted, and its client named in one warning a
// minute at most, whichever limits it meets: here the seat cap.
func TestSeatLimitRefusalsAreCountedAndQuiet(t *testing.T) {
	l := newLimited(t, func(c *web.Config) { c.MaxSeatsPerGuest = 1 })
	cookie := "boxoffice_guest=" + strings.Repeat("Ab9-_", 8) + "xyz" // one guest throughout
	book := func(seat string) int {
		return l.do("PUT", "/api/shows/"+openShow+"/seats/"+seat, "192.0.2.7:1234", "Cookie", cookie).Code
	}
	if code := book("A1"); code != http.StatusOK {
		t.Fatalf("the first seat: %d", code)
	}
	for range 3 {
		if code := book("A2"); code != http.StatusConflict {
			t.Fatalf("a seat over the cap: %d, want 409", code)
		}
	}
	warns := func() int {
		return len(l.log.lines("level=WARN", "client is over a limit", "limit=seats_per_guest", "client=192.0.2.7"))
	}
	if warns() != 1 {
		t.Fatalf("%d warnings for three refusals within a minute, want 1:\n%s", warns(), l.log.lines("WARN"))
	}
	l.clock.Add(61 * time.Second)
	book("A2")
	if warns() != 2 {
		t.Fatalf("%d warnings after a minute, want 2", warns())
	}
	if n := l.obs.limitedCount("seats_per_guest"); n != 4 {
		t.Fatalf("observer heard %d seats_per_guest refusals, want 4", n)
	}
}
