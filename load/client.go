package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// newClient is the HTTP client for conns concurrent workers, dialing with
// dial (nil: from the address the system chooses). The scenario and the
// baseline get the same, so they are measured with the same settings:
// enough idle connections that none is reopened, no compression, no HTTP/2,
// no proxy.
func newClient(conns int, timeout time.Duration, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           dial,
			MaxIdleConns:          2 * conns,
			MaxIdleConnsPerHost:   2 * conns,
			IdleConnTimeout:       90 * time.Second,
			DisableCompression:    true,
			ForceAttemptHTTP2:     false,
			ResponseHeaderTimeout: timeout,
		},
		// The seat form answers 303; the tool never posts it, and a
		// redirect would hide the answer being measured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// guestCookie is the server's guest cookie.
const guestCookie = "boxoffice_guest"

// newGuestToken is a guest cookie value of the shape the server issues: 32
// random bytes, base64url without padding. Sending our own spares the first
// round trip and makes each virtual guest known to the tool.
func newGuestToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// caller sends requests as one guest (or none: token "").
type caller struct {
	hc     *http.Client
	base   string
	token  string
	buf    bytes.Buffer // reused for answers
	header http.Header  // the last answer's
}

// do sends a request and reads the whole answer into c.buf.
func (c *caller) do(ctx context.Context, method, path string, body []byte) (int, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Cookie", guestCookie+"="+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	c.header = resp.Header
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// getJSON fetches path and decodes a 200 answer into v.
func (c *caller) getJSON(ctx context.Context, path string, v any) error {
	status, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %.200s", path, status, c.buf.Bytes())
	}
	if err := json.Unmarshal(c.buf.Bytes(), v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// The API's shapes, as far as the tool reads them.

type showSummary struct {
	ID       string    `json:"id"`
	StartsAt time.Time `json:"starts_at"`
	Open     bool      `json:"open"`
	Capacity int       `json:"capacity"`
}

type seatInfo struct {
	ID     string `json:"id"`
	Row    string `json:"row"`
	Number int    `json:"number"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	X      int    `json:"x"`
	Y      int    `json:"y"`
}

type showMap struct {
	ID      string     `json:"id"`
	Version int64      `json:"version"`
	Seats   []seatInfo `json:"seats"`
}

type writeAnswer struct {
	Version int64 `json:"version"`
}

func showPath(show string) string { return "/api/shows/" + url.PathEscape(show) }

func seatPath(show, seat string) string {
	return showPath(show) + "/seats/" + url.PathEscape(seat)
}

// pickShow is the show to drive: want if given, else the first open show
// among those with the most seats (the demo's premiere in the Grand hall).
func pickShow(ctx context.Context, c *caller, want string) (showMap, error) {
	if want == "" {
		var list struct {
			Shows []showSummary `json:"shows"`
		}
		if err := c.getJSON(ctx, "/api/shows", &list); err != nil {
			return showMap{}, err
		}
		best := -1
		for _, s := range list.Shows {
			if s.Open && s.Capacity > best {
				want, best = s.ID, s.Capacity
			}
		}
		if want == "" {
			return showMap{}, fmt.Errorf("the server has no show open for booking")
		}
	}
	var m showMap
	err := c.getJSON(ctx, showPath(want), &m)
	return m, err
}
