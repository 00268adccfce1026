package boxoffice_test

import (
	"reflect"
	"strings"
	"testing"

	"boxoffice"
)

// FuzzParseLayout: a hall description, an operator's file, never panics the
// parser; a layout it accepts is consistent and reads back the same once
// written out again.
func FuzzParseLayout(f *testing.F) {
	for _, seed := range []string{
		"A sss.sss\nB sss.sss\n-\nC wcs.scw\n",
		"# grand\nA ..ssss..\n\n-\n-\nB sssssss\n",
		"A s", "A", "-", "", "A s\nA s", "a s", "A x", "A .", "ÄÖ s", "A s\r\nB  ss \t\n", "A ss\n-\n",
	} {
		f.Add(seed)
	}
	kindChar := map[boxoffice.SeatKind]byte{boxoffice.KindStandard: 's', boxoffice.KindWheelchair: 'w', boxoffice.KindCompanion: 'c'}
	f.Fuzz(func(t *testing.T, src string) {
		l, err := boxoffice.ParseLayout(src)
		if err != nil {
			return
		}
		if len(l.Seats) == 0 || l.Source != src {
			t.Fatalf("accepted a layout with %d seats, source kept %v", len(l.Seats), l.Source == src)
		}
		ids := map[boxoffice.SeatID]bool{}
		for _, s := range l.Seats {
			if ids[s.ID] {
				t.Fatalf("seat id %q twice", s.ID)
			}
			ids[s.ID] = true
			if got, ok := l.Seat(s.ID); !ok || got != s || !l.Has(s.ID) {
				t.Fatalf("Seat(%q) = %+v, %v; want %+v", s.ID, got, ok, s)
			}
		}
		// Written back out, row by row, with "-" for cross aisles.
		var b strings.Builder
		y := 0
		for _, row := range l.Rows {
			if row.Y < y || row.Y >= l.Height || len(row.Cells) > l.Columns {
				t.Fatalf("row %s at y %d of %d with %d cells of %d columns", row.Label, row.Y, l.Height, len(row.Cells), l.Columns)
			}
			for ; y < row.Y; y++ {
				b.WriteString("-\n")
			}
			y++
			b.WriteString(row.Label + " ")
			for x, c := range row.Cells {
				if c.Seat == nil {
					b.WriteByte('.')
					continue
				}
				if c.Seat.Row != row.Label || c.Seat.X != x || c.Seat.Y != row.Y {
					t.Fatalf("seat %+v drawn in row %s at x %d", *c.Seat, row.Label, x)
				}
				for _, a := range l.Aisles {
					if a == x {
						t.Fatalf("seat %s sits in aisle column %d", c.Seat.ID, a)
					}
				}
				b.WriteByte(kindChar[c.Seat.Kind])
			}
			b.WriteByte('\n')
		}
		for ; y < l.Height; y++ {
			b.WriteString("-\n")
		}
		again, err := boxoffice.ParseLayout(b.String())
		if err != nil {
			t.Fatalf("the layout written out does not parse: %v\n%s", err, b.String())
		}
		if !reflect.DeepEqual(again.Seats, l.Seats) || again.Height != l.Height || again.Columns != l.Columns ||
			!reflect.DeepEqual(again.Aisles, l.Aisles) {
			t.Fatalf("written out and read back, the layout differs:\n%q\n%q", src, b.String())
		}
	})
}
