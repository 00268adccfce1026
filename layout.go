package boxoffice

import (
	"fmt"
	"strconv"
	"strings"
)

// SeatKind says what sort of place a seat is.
type SeatKind string

const (
	KindStandard   SeatKind = "standard"
	KindWheelchair SeatKind = "wheelchair" // a space for a wheelchair user
	KindCompanion  SeatKind = "companion"  // a seat beside a wheelchair space
)

// layoutKinds maps a layout character to the kind of seat it stands for.
var layoutKinds = map[rune]SeatKind{'s': KindStandard, 'w': KindWheelchair, 'c': KindCompanion}

// Seat is one place in a hall, with its position on the hall's grid: X counts
// columns from the left (aisles included), Y counts grid rows from the screen
// (cross aisles included).
type Seat struct {
	ID     SeatID
	Row    string
	Number int
	Kind   SeatKind
	X, Y   int
}

// Row is one row of seats as drawn: its cells from left to right.
type Row struct {
	Label string
	Y     int
	Cells []Cell
}

// Cell is a seat or, when Seat is nil, a gap (an aisle or empty place).
type Cell struct {
	Seat *Seat
}

// Layout is a hall's seating plan, read from a plain-text description (see
// ParseLayout) so that halls are data, not code.
type Layout struct {
	Source  string // the description it was parsed from
	Rows    []Row  // seat rows, nearest the screen first
	Seats   []Seat // every seat, row by row, left to right
	Columns int    // grid width
	Height  int    // grid height, cross aisles included
	Aisles  []int  // columns that are a gap in every row
	index   map[SeatID]int
}

// Seat returns the seat with the given id.
func (l *Layout) Seat(id SeatID) (Seat, bool) {
	i, ok := l.index[id]
	if !ok {
		return Seat{}, false
	}
	return l.Seats[i], true
}

// Has reports whether the hall has a seat with the given id.
func (l *Layout) Has(id SeatID) bool {
	_, ok := l.index[id]
	return ok
}

// ParseLayout reads a hall description. Each non-empty line is one of:
//
//	# a comment
//	-                      an empty grid row (a cross aisle)
//	A  sssss.ssssss.sssss  a seat row: its label (letters), then one
//	                       character per column: s standard seat,
//	                       w wheelchair space, c companion seat, . gap
//
// Seats are numbered from 1, left to right, skipping gaps, so the row above
// has seats A1 to A16.
func ParseLayout(src string) (Layout, error) {
	l := Layout{Source: src, index: map[SeatID]int{}}
	rowOf := map[string]int{} // row label → index in l.Rows
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case line == "-":
			l.Height++
			continue
		}
		label, cells, ok := strings.Cut(line, " ")
		if !ok || !isRowLabel(label) {
			return Layout{}, fmt.Errorf("layout line %d: want a row label (letters A-Z), a space and the row's places, got %q", n+1, line)
		}
		cells = strings.TrimSpace(cells)
		if _, dup := rowOf[label]; dup {
			return Layout{}, fmt.Errorf("layout line %d: row %s appears twice", n+1, label)
		}
		row := Row{Label: label, Y: l.Height}
		number := 0
		for x, ch := range []rune(cells) {
			if ch == '.' {
				row.Cells = append(row.Cells, Cell{})
				continue
			}
			kind, ok := layoutKinds[ch]
			if !ok {
				return Layout{}, fmt.Errorf("layout line %d: unknown place %q in row %s (use s, w, c or .)", n+1, ch, label)
			}
			number++
			id := SeatID(label + strconv.Itoa(number))
			l.index[id] = len(l.Seats)
			l.Seats = append(l.Seats, Seat{ID: id, Row: label, Number: number, Kind: kind, X: x, Y: l.Height})
			row.Cells = append(row.Cells, Cell{})
		}
		if number == 0 {
			return Layout{}, fmt.Errorf("layout line %d: row %s has no seats", n+1, label)
		}
		l.Columns = max(l.Columns, len(row.Cells))
		rowOf[label] = len(l.Rows)
		l.Rows = append(l.Rows, row)
		l.Height++
	}
	if len(l.Seats) == 0 {
		return Layout{}, fmt.Errorf("layout has no seats")
	}
	// Point the cells at the seats only now: appending to l.Seats above may
	// have moved them.
	for i := range l.Seats {
		s := &l.Seats[i]
		l.Rows[rowOf[s.Row]].Cells[s.X].Seat = s
	}
	l.Aisles = l.findAisles()
	return l, nil
}

func (l *Layout) findAisles() []int {
	var aisles []int
	for x := 0; x < l.Columns; x++ {
		gap := true
		for _, r := range l.Rows {
			if x < len(r.Cells) && r.Cells[x].Seat != nil {
				gap = false
				break
			}
		}
		if gap {
			aisles = append(aisles, x)
		}
	}
	return aisles
}

func isRowLabel(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
