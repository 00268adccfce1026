package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"boxoffice"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages holds the templates, parsed once at start.
type pages struct {
	byName map[string]*template.Template
}

func parsePages(a *assets) (*pages, error) {
	funcs := template.FuncMap{"asset": a.url}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range []string{"index.html", "show.html", "error.html"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render writes a page, or a 500 if the template fails: rendering into a
// buffer first means a failure never leaves half a page behind.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.byName[name].Execute(&buf, data); err != nil {
		s.log.ErrorContext(r.Context(), "rendering page", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // pages show this guest's own seats
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page is what every page has: the document title.
type page struct {
	Head string
}

type errorPage struct {
	page
	Detail    string
	RequestID string
}

func (s *server) renderError(w http.ResponseWriter, r *http.Request, p problem) {
	s.render(w, r, p.Status, "error.html", errorPage{page: page{Head: p.Title}, Detail: p.Detail, RequestID: p.RequestID})
}

type showItem struct {
	ID                    boxoffice.ShowID
	Title, Hall           string
	StartsISO, StartsText string
	SeatsLeft, Capacity   int
	Open                  bool
}

func (s *server) showItem(sum boxoffice.ShowSummary) showItem {
	return showItem{
		ID: sum.ID, Title: sum.Title, Hall: sum.Hall.Name,
		StartsISO: formatTime(sum.StartsAt, s.Location), StartsText: s.humanTime(sum.StartsAt),
		SeatsLeft: sum.SeatsLeft(), Capacity: len(sum.Hall.Layout.Seats), Open: sum.OpenAt(s.Now()),
	}
}

func (s *server) humanTime(t time.Time) string {
	return t.In(s.Location).Format("Mon 2 Jan, 15:04")
}

func (s *server) handleIndex() http.Handler {
	type indexPage struct {
		page
		Shows []showItem
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shows, err := s.Store.Shows(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p := indexPage{page: page{Head: "What's on"}}
		for _, sum := range shows {
			p.Shows = append(p.Shows, s.showItem(sum))
		}
		s.render(w, r, http.StatusOK, "index.html", p)
	})
}

type showPage struct {
	page
	showItem
	Version     int64
	Rows        []rowView
	Mine        []boxoffice.SeatID
	Message     string
	MessageKind string // "ok" or "error"
}

type rowView struct {
	Label      string
	CrossAisle bool
	Cells      []cellView
}

type cellView struct {
	Gap    bool
	ID     boxoffice.SeatID
	Number int
	Kind   string // CSS class: "w" wheelchair space, "c" companion seat
	Status boxoffice.Status
	Name   string // form field: "seat" books, "release" releases
	Label  string // accessible name
}

var kindClass = map[boxoffice.SeatKind]string{boxoffice.KindWheelchair: "w", boxoffice.KindCompanion: "c"}

// seatLabel is a seat button's accessible name: "Row C, seat 7, taken".
func seatLabel(seat boxoffice.Seat, status boxoffice.Status) string {
	var b strings.Builder
	b.WriteString("Row " + seat.Row + ", seat " + strconv.Itoa(seat.Number) + ", ")
	switch seat.Kind {
	case boxoffice.KindWheelchair:
		b.WriteString("wheelchair space, ")
	case boxoffice.KindCompanion:
		b.WriteString("companion seat, ")
	}
	b.WriteString(statusWords[status])
	return b.String()
}

// statusWords says a seat's status in its accessible name.
var statusWords = map[boxoffice.Status]string{boxoffice.StatusFree: "free", boxoffice.StatusBooked: "taken", boxoffice.StatusMine: "yours"}

func (s *server) handleShowPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.seatMap(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		viewer := guestOf(r)
		sum := boxoffice.ShowSummary{Show: m.Show, Booked: len(m.Holders)}
		p := showPage{page: page{Head: m.Show.Title + ", " + s.humanTime(m.Show.StartsAt)},
			showItem: s.showItem(sum), Version: m.Version}
		l := &m.Show.Hall.Layout
		y := 0
		for _, row := range l.Rows {
			for ; y < row.Y; y++ {
				p.Rows = append(p.Rows, rowView{CrossAisle: true})
			}
			y++
			rv := rowView{Label: row.Label, Cells: make([]cellView, len(row.Cells))}
			for i, c := range row.Cells {
				if c.Seat == nil {
					rv.Cells[i].Gap = true
					continue
				}
				st := boxoffice.StatusFor(m.Holders[c.Seat.ID], viewer)
				name := "seat"
				if st == boxoffice.StatusMine {
					name = "release"
					p.Mine = append(p.Mine, c.Seat.ID)
				}
				rv.Cells[i] = cellView{ID: c.Seat.ID, Number: c.Seat.Number, Kind: kindClass[c.Seat.Kind],
					Status: st, Name: name, Label: seatLabel(*c.Seat, st)}
			}
			p.Rows = append(p.Rows, rv)
		}
		// The outcome of a form post; the seat must be one of this hall's,
		// so the page never echoes arbitrary text.
		q := r.URL.Query()
		if seat := boxoffice.SeatID(q.Get("seat")); seat == "" || l.Has(seat) {
			p.Message, p.MessageKind = formMessage(q.Get("result"), seat)
		}
		s.render(w, r, http.StatusOK, "show.html", p)
	})
}
