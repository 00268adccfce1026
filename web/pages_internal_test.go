package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
	"boxoffice/sqlite"
)

const testRequestID = "00000000000000ab"

// pagesServer is a server for the show "s" in a one-row hall, whose
// templates spoil changes before use.
func pagesServer(t *testing.T, spoil func(map[string]*template.Template)) *server {
	t.Helper()
	var hub *live.Hub
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pages.db"), sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	hub = live.NewHub(store, live.Options{Complete: true})
	t.Cleanup(func() {
		hub.Close()
		store.Close()
	})
	l, err := boxoffice.ParseLayout("A sss\n")
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "Hall", Layout: l}
	if _, err := store.Seed(context.Background(), boxoffice.Programme{Halls: []boxoffice.Hall{hall},
		Shows: []boxoffice.Show{{ID: "s", Title: "Film", StartsAt: time.Now().Add(time.Hour), Hall: hall}}}); err != nil {
		t.Fatal(err)
	}
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePages(a)
	if err != nil {
		t.Fatal(err)
	}
	spoil(p.byName)
	maps := newSeatMaps(store, hub)
	t.Cleanup(maps.close) // before the hub and the store
	return &server{Config: Config{Store: store, Hub: hub, Location: time.UTC, Now: time.Now, Observer: nopObserver{}},
		log: slog.New(slog.DiscardHandler), assets: a, pages: p, maps: maps}
}

// failing is a template that fails as it runs, standing for a template that
// meets data it cannot render.
func failing() *template.Template {
	fail := template.FuncMap{"fail": func() (string, error) { return "", errors.New("failing on purpose") }}
	return template.Must(template.New("failing").Funcs(fail).Parse(`<p>{{fail}}</p>`))
}

// failingShowPage keeps show.html's seat templates and fails on the page
// itself, so the grid renders and the page does not.
func failingShowPage(byName map[string]*template.Template) {
	show := template.Must(byName["show.html"].Clone())
	show.Funcs(template.FuncMap{"fail": func() (string, error) { return "", errors.New("failing on purpose") }})
	template.Must(show.New("show.html").Parse(`<p>{{fail}}</p>`))
	byName["show.html"] = show
}

func pageRequest(path, show string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept", "text/html")
	if show != "" {
		r.SetPathValue("show", show)
	}
	return r.WithContext(context.WithValue(r.Context(), requestIDKey, testRequestID))
}

// A page that fails to render is answered as any internal error: the error
// page, status 500, naming the request id for the operator's logs. Every
// page goes through the same mapper, the seat map's cached page and its grid
// included.
func TestFailingPageIsAnInternalErrorPage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(map[string]*template.Template)
		path  string
		serve func(*server) http.Handler
	}{
		{"index", func(m map[string]*template.Template) { m["index.html"] = failing() }, "/",
			(*server).handleIndex},
		{"seat grid", func(m map[string]*template.Template) { m["show.html"] = failing() }, "/shows/s",
			(*server).handleShowPage},
		{"shared seat map page", failingShowPage, "/shows/s", (*server).handleShowPage},
		{"seat map page with a form outcome", failingShowPage, "/shows/s?result=booked&seat=A1", (*server).handleShowPage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pagesServer(t, tc.spoil)
			w := httptest.NewRecorder()
			tc.serve(s).ServeHTTP(w, pageRequest(tc.path, "s"))
			body := w.Body.String()
			if w.Code != http.StatusInternalServerError || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
				!strings.Contains(body, "Internal error") || !strings.Contains(body, testRequestID) {
				t.Errorf("GET %s: %d %s\n%s\nwant the 500 error page naming request %s",
					tc.path, w.Code, w.Header().Get("Content-Type"), body, testRequestID)
			}
		})
	}
}

// When the error page itself cannot be rendered, the answer is a fixed
// plain-text 500 with the request id, not another attempt at the error page
// (which would fail again, and again).
func TestFailingErrorPageFallsBackToPlainText(t *testing.T) {
	s := pagesServer(t, func(m map[string]*template.Template) {
		m["index.html"], m["error.html"] = failing(), failing()
	})
	for _, tc := range []struct {
		path  string
		serve http.Handler
	}{
		{"/", s.handleIndex()},
		{"/problems/seat-taken", s.handleProblemType()},
	} {
		w := httptest.NewRecorder()
		r := pageRequest(tc.path, "")
		r.SetPathValue("type", "seat-taken")
		tc.serve.ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") ||
			!strings.Contains(w.Body.String(), testRequestID) {
			t.Errorf("GET %s: %d %s %q, want a plain-text 500 naming request %s",
				tc.path, w.Code, w.Header().Get("Content-Type"), w.Body.String(), testRequestID)
		}
	}
}
