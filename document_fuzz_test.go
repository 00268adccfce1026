package boxoffice_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

// FuzzParseProgramme: an operator's file never panics the parser, and a
// document it accepts formats into one that parses back to the same
// programme: what export → import being a no-op rests on.
func FuzzParseProgramme(f *testing.F) {
	for _, seed := range []string{
		exampleDoc,
		`{}`, `{"halls": null, "shows": []}`, `[]`, `null`, ``, `{} x`,
		`{"shows": [{"id": "a", "title": "A", "hall": "h", "starts_at": "2026-03-29T02:30:00.123456789-09:30", "sales": "closed", "max_seats_per_guest": 0}]}`,
		`{"halls": [{"id": "h", "name": "", "layout": "# c\r\nA s.s\n-\nB w"}], "shows": [{"id": "a", "title": "\u00e9 <b>", "hall": "h", "starts_at": "0001-01-01T00:00:00Z"}]}`,
		`{"halls": [{"id": "h", "layout": "A s"}, {"id": "h", "layout": "A s"}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := boxoffice.ParseProgramme(strings.NewReader(doc))
		if err != nil {
			if boxoffice.ErrorCode(err) != boxoffice.EPROGRAMME {
				t.Fatalf("refused with %v, not an invalid_programme error", err)
			}
			return
		}
		for _, loc := range []*time.Location{nil, time.UTC, time.FixedZone("", -(9*3600 + 1800))} {
			var buf bytes.Buffer
			if err := boxoffice.FormatProgramme(&buf, p, loc); err != nil {
				t.Fatalf("accepted but cannot format: %v", err)
			}
			back, err := boxoffice.ParseProgramme(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("accepted %q, formatted %s, which is refused: %v", doc, buf.Bytes(), err)
			}
			if d := programmeDiff(p, back); d != "" {
				t.Fatalf("accepted %q; formatted and read back, %s", doc, d)
			}
		}
	})
}

// programmeDiff says how two programmes differ as a store would see them
// (a start as an instant, a show's hall by id), or "" when they do not.
func programmeDiff(a, b boxoffice.Programme) string {
	if len(a.Halls) != len(b.Halls) || len(a.Shows) != len(b.Shows) {
		return fmt.Sprintf("%d halls and %d shows became %d and %d", len(a.Halls), len(a.Shows), len(b.Halls), len(b.Shows))
	}
	for i, x := range a.Halls {
		y := b.Halls[i]
		if x.ID != y.ID || x.Name != y.Name || x.Layout.Source != y.Layout.Source {
			return fmt.Sprintf("hall %d: %s %q %q became %s %q %q", i, x.ID, x.Name, x.Layout.Source, y.ID, y.Name, y.Layout.Source)
		}
	}
	capOf := func(n *int) string {
		if n == nil {
			return "nil"
		}
		return fmt.Sprint(*n)
	}
	for i, x := range a.Shows {
		y := b.Shows[i]
		if x.ID != y.ID || x.Title != y.Title || x.Hall.ID != y.Hall.ID || !x.StartsAt.Equal(y.StartsAt) ||
			x.SalesState() != y.SalesState() || capOf(x.MaxSeatsPerGuest) != capOf(y.MaxSeatsPerGuest) {
			return fmt.Sprintf("show %d: %+v became %+v", i, x, y)
		}
	}
	return ""
}
