package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
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
	for _, name := range []string{"index.html", "show.html", "error.html", "ticket.html"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render writes a page, rendered into memory first so that a failure never
// leaves half a page behind; a failure is answered as any internal error.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	b, err := s.pages.execute(name, data)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeHTML(w, status, b)
}

// execute renders the page name into memory.
func (p *pages) execute(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.byName[name].Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("rendering page %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

func writeHTML(w http.ResponseWriter, status int, page []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // pages show this guest's own seats
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = w.Write(page)
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

// renderError answers with the error page for p. If that page itself fails
// to render, going back to writeProblem would only come straight back here:
// that one case gets a fixed plain-text answer.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, p problem) {
	b, err := s.pages.execute("error.html", errorPage{page: page{Head: p.Title}, Detail: p.Detail, RequestID: p.RequestID})
	if err != nil {
		s.log.ErrorContext(r.Context(), "rendering the error page", slog.Any("err", err))
		msg := "Internal error"
		if p.RequestID != "" {
			msg += ", request " + p.RequestID
		}
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	writeHTML(w, p.Status, b)
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
	Grid        template.HTML // see seatGrid
	Mine        []boxoffice.SeatID
	Ticket      string // the viewer's ticket code, only while it holds seats
	TicketPath  string
	Message     string
	MessageKind string // "ok" or "error"
}

type rowView struct {
	Label string
}

type cellView struct {
	ID       boxoffice.SeatID
	Number   int
	Kind     string // CSS class: "w" wheelchair space, "c" companion seat
	Status   boxoffice.Status
	Name     string // form field: "seat" books, "release" releases
	Label    string // accessible name
	Disabled bool   // sales are closed
}

// seatGrid is a show's seat grid as the templates in show.html draw it,
// rendered once per show and sales state (open or closed): the markup
// between seats, and each seat's button in each status. A page then only
// picks every seat's button for its viewer and joins the pieces.
type seatGrid struct {
	parts []gridPart
	size  int // bytes of the grid with every seat in its longest form
}

// gridPart is fixed markup, or a seat's buttons when seat is set.
type gridPart struct {
	markup  string
	seat    boxoffice.SeatID
	buttons [3]string // by statusIndex
}

func statusIndex(st boxoffice.Status) int {
	switch st {
	case boxoffice.StatusBooked:
		return 1
	case boxoffice.StatusMine:
		return 2
	}
	return 0
}

func (p *pages) seatGrid(l *boxoffice.Layout, open bool) (*seatGrid, error) {
	t := p.byName["show.html"]
	g := &seatGrid{}
	var buf bytes.Buffer
	run := func(name string, data any) error {
		buf.Reset()
		return t.ExecuteTemplate(&buf, name, data)
	}
	addMarkup := func() {
		if n := len(g.parts); n > 0 && g.parts[n-1].seat == "" {
			g.parts[n-1].markup += buf.String()
		} else {
			g.parts = append(g.parts, gridPart{markup: buf.String()})
		}
		g.size += buf.Len()
	}
	y := 0
	for _, row := range l.Rows {
		for ; y < row.Y; y++ {
			if err := run("cross-aisle", nil); err != nil {
				return nil, err
			}
			addMarkup()
		}
		y++
		if err := run("row-start", rowView{Label: row.Label}); err != nil {
			return nil, err
		}
		addMarkup()
		for _, c := range row.Cells {
			if c.Seat == nil {
				if err := run("gap", nil); err != nil {
					return nil, err
				}
				addMarkup()
				continue
			}
			part := gridPart{seat: c.Seat.ID}
			longest := 0
			for _, st := range []boxoffice.Status{boxoffice.StatusFree, boxoffice.StatusBooked, boxoffice.StatusMine} {
				name := "seat"
				if st == boxoffice.StatusMine {
					name = "release"
				}
				if err := run("seat", cellView{ID: c.Seat.ID, Number: c.Seat.Number, Kind: kindClass[c.Seat.Kind],
					Status: st, Name: name, Label: seatLabel(*c.Seat, st), Disabled: !open}); err != nil {
					return nil, err
				}
				part.buttons[statusIndex(st)] = buf.String()
				longest = max(longest, buf.Len())
			}
			g.parts = append(g.parts, part)
			g.size += longest
		}
		if err := run("row-end", rowView{Label: row.Label}); err != nil {
			return nil, err
		}
		addMarkup()
	}
	return g, nil
}

// draw joins the grid for viewer, given who holds which seat, and lists the
// viewer's seats in grid order.
func (g *seatGrid) draw(holders map[boxoffice.SeatID]boxoffice.Guest, viewer boxoffice.Guest) (template.HTML, []boxoffice.SeatID) {
	var b strings.Builder
	b.Grow(g.size)
	var mine []boxoffice.SeatID
	for _, part := range g.parts {
		if part.seat == "" {
			b.WriteString(part.markup)
			continue
		}
		st := boxoffice.StatusFor(holders[part.seat], viewer)
		if st == boxoffice.StatusMine {
			mine = append(mine, part.seat)
		}
		b.WriteString(part.buttons[statusIndex(st)])
	}
	return template.HTML(b.String()), mine // the parts come from templates: escaped
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
		m, err := s.currentMap(r, heard)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		open := m.show.OpenAt(s.Now())
		grid, mine, err := m.grid(s, open, guestOf(r))
		if err != nil {
			s.writeProblem(w, r, fmt.Errorf("rendering the seat grid of show %s: %w", m.show.ID, err))
			return
		}
		sum := boxoffice.ShowSummary{Show: m.show, Booked: len(m.holders)}
		p := showPage{page: page{Head: m.show.Title + ", " + s.humanTime(m.show.StartsAt)},
			showItem: s.showItem(sum), Version: m.version, Grid: grid, Mine: mine}
		p.Open = open
		if len(mine) > 0 {
			// Never on the page shared by viewers holding nothing (below):
			// the code is this guest's. The script fetches it when the
			// guest's first seat arrives.
			code := ticketOf(r.Context(), m.show.ID)
			p.Ticket, p.TicketPath = code.String(), ticketPath(code)
		}
		// The outcome of a form post, if it is still true.
		p.Message, p.MessageKind = formNotice(r.URL.Query(), &m.show.Hall.Layout, m.holders, guestOf(r), len(mine))
		// A viewer holding no seat and bringing no form outcome sees the
		// page every such viewer sees: rendered once per version.
		if len(mine) > 0 || r.URL.RawQuery != "" {
			s.render(w, r, http.StatusOK, "show.html", p)
			return
		}
		var renderErr error
		page := m.page(open, func() []byte {
			b, err := s.pages.execute("show.html", p)
			renderErr = err
			return b
		})
		if page == nil {
			s.writeProblem(w, r, renderErr)
			return
		}
		writeHTML(w, http.StatusOK, page)
	})
}
