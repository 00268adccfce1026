package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// The test programme: a 3-row hall with an aisle, one show open for sales
// and one that has started.
const testLayout = `
A sss.sss
B sss.sss
-
C wcs.scw
`

const (
	openShow   = "open-show"
	closedShow = "closed-show"
)

type env struct {
	t      testing.TB
	srv    *httptest.Server
	store  boxoffice.Store
	hub    *live.Hub
	dbPath string // the SQLite file
}

func newEnv(t *testing.T, layout string) *env {
	t.Helper()
	return newEnvWith(t, layout, nil, (*httptest.Server).Start)
}

// newEnvWith is newEnv with the handler's config changed by configure (if
// not nil) and the server started by start.
func newEnvWith(t testing.TB, layout string, configure func(*web.Config), start func(*httptest.Server)) *env {
	t.Helper()
	var hub *live.Hub
	dbPath := filepath.Join(t.TempDir(), "test.db")
	store, err := sqlite.Open(context.Background(), dbPath, sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := boxoffice.ParseLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "Hall One", Layout: l}
	now := time.Now()
	if _, err := store.Seed(context.Background(), boxoffice.Programme{
		Halls: []boxoffice.Hall{hall},
		Shows: []boxoffice.Show{
			{ID: openShow, Title: "Open Film", StartsAt: now.Add(48 * time.Hour), Hall: hall},
			{ID: closedShow, Title: "Started Film", StartsAt: now.Add(-time.Hour), Hall: hall},
		},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{Store: store, Location: time.UTC, Heartbeat: time.Hour}
	if configure != nil {
		configure(&cfg) // which may wrap the store: the hub reads through it too
	}
	hub = live.NewHub(cfg.Store, live.Options{Complete: true})
	cfg.Hub = hub
	h, err := web.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	start(srv)
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
		store.Close()
	})
	return &env{t: t, srv: srv, store: store, hub: hub, dbPath: dbPath}
}

// guest is a client with its own cookie jar, as one browser would be.
type guest struct {
	e *env
	c *http.Client
}

func (e *env) guest() *guest {
	jar, _ := cookiejar.New(nil)
	return &guest{e: e, c: &http.Client{Jar: jar, Transport: e.srv.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return m
}

func (g *guest) do(method, path, contentType, body string, header ...string) response {
	g.e.t.Helper()
	req, err := http.NewRequest(method, g.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		g.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := g.c.Do(req)
	if err != nil {
		g.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (g *guest) book(show, seat string) response {
	return g.do("PUT", "/api/shows/"+show+"/seats/"+seat, "", "")
}

func (g *guest) release(show, seat string) response {
	return g.do("DELETE", "/api/shows/"+show+"/seats/"+seat, "", "")
}

func (g *guest) bookMany(show, body string) response {
	return g.do("POST", "/api/shows/"+show+"/bookings", "application/json", body)
}

// statuses returns each seat's status as the guest sees it.
func (g *guest) statuses(show string) map[string]string {
	g.e.t.Helper()
	r := g.do("GET", "/api/shows/"+show, "", "")
	if r.status != 200 {
		g.e.t.Fatalf("GET show: %d %s", r.status, r.body)
	}
	var v struct {
		Seats []struct{ ID, Status string }
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		g.e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range v.Seats {
		out[s.ID] = s.Status
	}
	return out
}

// wantProblem checks an RFC 9457 answer: status, media type, members, and
// the seats it names.
func wantProblem(t *testing.T, r response, status int, seats ...string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	for _, k := range []string{"type", "title", "detail"} {
		if s, _ := p[k].(string); s == "" {
			t.Errorf("problem lacks %q: %s", k, r.body)
		}
	}
	if p["status"] != float64(status) {
		t.Errorf("problem status %v, want %d", p["status"], status)
	}
	got, _ := p["seats"].([]any)
	if fmt.Sprint(got) != fmt.Sprint(toAny(seats)) {
		t.Errorf("problem names seats %v, want %v", got, seats)
	}
	return p
}

func toAny(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
