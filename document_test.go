package boxoffice_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

// The example, word for word.
const exampleDoc = `{
  "halls": [{"id": "studio", "name": "Studio", "layout": "A sssss.sssss\nB sssss.sssss\n-\nC wc.sssss.cw\n"}],
  "shows": [{"id": "dune-0612-2000", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00+01:00",
             "sales": "open", "max_seats_per_guest": 6}]
}`

func TestParseProgramme(t *testing.T) {
	p, err := boxoffice.ParseProgramme(strings.NewReader(exampleDoc))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Halls) != 1 || len(p.Shows) != 1 {
		t.Fatalf("%d halls, %d shows; want 1 and 1", len(p.Halls), len(p.Shows))
	}
	h := p.Halls[0]
	if h.ID != "studio" || h.Name != "Studio" || len(h.Layout.Seats) != 29 || !h.Layout.Has("C9") {
		t.Errorf("hall %s %q with %d seats; want studio \"Studio\" with 29, C9 among them", h.ID, h.Name, len(h.Layout.Seats))
	}
	sh := p.Shows[0]
	want := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	if sh.ID != "dune-0612-2000" || sh.Title != "Dune" || !sh.StartsAt.Equal(want) || sh.Sales != boxoffice.SalesOpen {
		t.Errorf("show %+v", sh)
	}
	if _, off := sh.StartsAt.Zone(); off != 3600 {
		t.Errorf("starts_at's offset became %ds; want the +01:00 given", off)
	}
	if sh.Hall.ID != "studio" || len(sh.Hall.Layout.Seats) != 29 {
		t.Errorf("the show's hall is %s with %d seats; want the document's studio", sh.Hall.ID, len(sh.Hall.Layout.Seats))
	}
	if sh.MaxSeatsPerGuest == nil || *sh.MaxSeatsPerGuest != 6 {
		t.Errorf("max_seats_per_guest = %v; want 6", sh.MaxSeatsPerGuest)
	}
}

func TestParseProgrammeDefaults(t *testing.T) {
	p, err := boxoffice.ParseProgramme(strings.NewReader(`{"shows": [
		{"id": "a", "title": "A", "hall": "elsewhere", "starts_at": "2026-12-06T20:00:00Z"},
		{"id": "b", "title": "B", "hall": "elsewhere", "starts_at": "2026-12-06T20:00:00Z", "max_seats_per_guest": null, "sales": "closed"},
		{"id": "c", "title": "C", "hall": "elsewhere", "starts_at": "2026-12-06T20:00:00Z", "max_seats_per_guest": 0, "sales": "cancelled"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := p.Shows[0], p.Shows[1], p.Shows[2]
	if a.Sales != boxoffice.SalesOpen || b.Sales != boxoffice.SalesClosed || c.Sales != boxoffice.SalesCancelled {
		t.Errorf("sales %q %q %q; want open (absent), closed, cancelled", a.Sales, b.Sales, c.Sales)
	}
	if a.MaxSeatsPerGuest != nil || b.MaxSeatsPerGuest != nil {
		t.Errorf("absent or null max_seats_per_guest read as %v, %v; want nil (the server's cap)", a.MaxSeatsPerGuest, b.MaxSeatsPerGuest)
	}
	if c.MaxSeatsPerGuest == nil || *c.MaxSeatsPerGuest != 0 {
		t.Errorf("max_seats_per_guest 0 read as %v; want 0 (no cap), not nil", c.MaxSeatsPerGuest)
	}
	// The store knows the hall; the document only names it.
	if a.Hall.ID != "elsewhere" || len(a.Hall.Layout.Seats) != 0 {
		t.Errorf("a hall the document lacks: %+v; want only its id", a.Hall)
	}
}

// Each refusal is an EPROGRAMME error naming what an operator must fix: the
// hall or show, the field, and for a layout its line.
func TestParseProgrammeRefuses(t *testing.T) {
	show := func(fields string) string {
		return `{"shows": [{"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00+01:00"` + fields + `}]}`
	}
	for _, c := range []struct {
		name, doc string
		want      []string // in the detail
	}{
		{"empty", ``, []string{"empty"}},
		{"not an object", `[]`, []string{"not a JSON object"}},
		{"syntax", "{\n\"halls\": [\n}", []string{"line 3"}},
		{"trailing data", `{} {}`, []string{"after the end"}},
		{"unknown top field", `{"hall": []}`, []string{`"hall"`}},
		{"unknown show field", show(`, "start_at": "x"`), []string{"show dune", `"start_at"`}},
		{"field in other case", show(`, "Title": "x"`), []string{"show dune", `"Title"`}},
		{"no title", `{"shows": [{"id": "dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00+01:00"}]}`, []string{"show dune", "title", "required"}},
		{"no hall", `{"shows": [{"id": "dune", "title": "Dune", "starts_at": "2026-12-06T20:00:00+01:00"}]}`, []string{"show dune", "hall", "required"}},
		{"no start", `{"shows": [{"id": "dune", "title": "Dune", "hall": "studio"}]}`, []string{"show dune", "starts_at", "required"}},
		{"no offset", `{"shows": [{"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00"}]}`, []string{"show dune", "starts_at", "offset"}},
		{"year 0", `{"shows": [{"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "0000-01-01T00:00:00Z"}]}`, []string{"show dune", "starts_at", "1970 to 9998"}},
		{"year 9999", `{"shows": [{"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "9999-12-31T23:00:00Z"}]}`, []string{"show dune", "starts_at", "1970 to 9998"}},
		{"title not a string", `{"shows": [{"id": "dune", "title": 7, "hall": "studio", "starts_at": "2026-12-06T20:00:00Z"}]}`, []string{"show dune", "title"}},
		{"sales", show(`, "sales": "paused"`), []string{"show dune", "sales", "paused"}},
		{"negative cap", show(`, "max_seats_per_guest": -1`), []string{"show dune", "max_seats_per_guest"}},
		{"fractional cap", show(`, "max_seats_per_guest": 2.5`), []string{"show dune", "max_seats_per_guest"}},
		{"cap as text", show(`, "max_seats_per_guest": "6"`), []string{"show dune", "max_seats_per_guest"}},
		{"show without id", `{"shows": [{"title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00Z"}]}`, []string{"id"}},
		{"bad id", `{"shows": [{"id": "du ne", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00Z"}]}`, []string{"id"}},
		{"id twice", `{"shows": [` + strings.Repeat(`{"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00Z"},`, 2) + `{"id": "x", "title": "X", "hall": "studio", "starts_at": "2026-12-06T20:00:00Z"}]}`, []string{"dune"}},
		{"layout line", `{"halls": [{"id": "studio", "name": "Studio", "layout": "A sss\nB sss\n# gap\nC sxs\n"}]}`, []string{"hall studio", "layout line 4", "C"}},
		{"no layout", `{"halls": [{"id": "studio", "name": "Studio"}]}`, []string{"hall studio", "layout", "required"}},
		{"unknown hall field", `{"halls": [{"id": "studio", "name": "Studio", "layout": "A s", "seats": 1}]}`, []string{"hall studio", `"seats"`}},
		{"hall not an object", `{"halls": ["studio"]}`, []string{"halls", "item 1"}},
		{"shows not a list", `{"shows": {}}`, []string{"shows"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := boxoffice.ParseProgramme(strings.NewReader(c.doc))
			if !errors.Is(err, boxoffice.ErrProgramme) {
				t.Fatalf("err = %v; want an invalid_programme error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseProgrammeSizeBound(t *testing.T) {
	doc := `{"halls": [], "shows": [], "pad": "` + strings.Repeat("x", boxoffice.MaxProgrammeBytes) + `"}`
	_, err := boxoffice.ParseProgramme(strings.NewReader(doc))
	if !errors.Is(err, boxoffice.ErrProgramme) || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("err = %v; want a refusal for the size", err)
	}
}

func TestFormatProgramme(t *testing.T) {
	p, err := boxoffice.ParseProgramme(strings.NewReader(exampleDoc))
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	p.Shows = append(p.Shows, boxoffice.Show{ID: "late", Title: "Tom & Jerry", Hall: p.Halls[0],
		StartsAt: time.Date(2026, 7, 1, 21, 0, 0, 0, time.UTC)}) // Sales "" and no cap
	var buf bytes.Buffer
	if err := boxoffice.FormatProgramme(&buf, p, berlin); err != nil {
		t.Fatal(err)
	}
	want := `{
  "halls": [
    {
      "id": "studio",
      "name": "Studio",
      "layout": "A sssss.sssss\nB sssss.sssss\n-\nC wc.sssss.cw\n"
    }
  ],
  "shows": [
    {
      "id": "dune-0612-2000",
      "title": "Dune",
      "hall": "studio",
      "starts_at": "2026-12-06T20:00:00+01:00",
      "sales": "open",
      "max_seats_per_guest": 6
    },
    {
      "id": "late",
      "title": "Tom & Jerry",
      "hall": "studio",
      "starts_at": "2026-07-01T23:00:00+02:00",
      "sales": "open"
    }
  ]
}
`
	if buf.String() != want {
		t.Errorf("formatted:\n%s\nwant:\n%s", buf.String(), want)
	}
	back, err := boxoffice.ParseProgramme(&buf)
	if err != nil {
		t.Fatalf("the formatted document does not parse: %v", err)
	}
	if d := programmeDiff(p, back); d != "" {
		t.Errorf("format then parse changed the programme: %s", d)
	}
}

// An empty programme is still a document with both lists, which import reads
// as doing nothing.
func TestFormatEmptyProgramme(t *testing.T) {
	var buf bytes.Buffer
	if err := boxoffice.FormatProgramme(&buf, boxoffice.Programme{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "{\n  \"halls\": [],\n  \"shows\": []\n}\n" {
		t.Errorf("got %q", got)
	}
	if p, err := boxoffice.ParseProgramme(&buf); err != nil || len(p.Halls)+len(p.Shows) != 0 {
		t.Errorf("read back %+v, %v", p, err)
	}
}

// The README's example programme is one an operator can import as it is.
func TestReadmeProgrammeParses(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "### The programme document")
	if !ok {
		t.Fatal("README has no programme document section")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	doc, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no JSON example in the programme document section")
	}
	p, err := boxoffice.ParseProgramme(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	if len(p.Halls) != 1 || len(p.Shows) != 2 || len(p.Halls[0].Layout.Seats) != 29 {
		t.Errorf("the README's example reads as %d halls, %d shows", len(p.Halls), len(p.Shows))
	}
}
