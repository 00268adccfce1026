package boxoffice

import (
	"cmp"
	"slices"
)

// An operator's releases (Store.ReleaseSeats, Store.ReleaseGuest) free
// seats whoever holds them; their checks are the same in every store.

// CheckOperatorSeats checks an operator's seat list before any store looks
// at the show: at least one seat, repeats dropped (keeping the first), with
// a map rather than CheckSeats's scan, since the list may be a hall long.
func CheckOperatorSeats(seats []SeatID) ([]SeatID, error) {
	if len(seats) == 0 {
		return nil, Errorf(EINVALID, "Name at least one seat")
	}
	seen := make(map[SeatID]bool, len(seats))
	out := make([]SeatID, 0, len(seats))
	for _, seat := range seats {
		if !seen[seat] {
			seen[seat] = true
			out = append(out, seat)
		}
	}
	return out, nil
}

// AdmitOperator checks an operator's release against the show as the store
// read it: refused on a cancelled show (its seats went with it), a list
// longer than the hall, or seats the hall lacks (named). Closed sales and a
// show that has started do not stop an operator.
func (s Show) AdmitOperator(seats []SeatID) error {
	if s.SalesState() == SalesCancelled {
		return CancelledError(s)
	}
	if n := len(s.Hall.Layout.Seats); len(seats) > n {
		return Errorf(EINVALID, "The hall of %s has %d seats; %d were named", s.Title, n, len(seats))
	}
	var unknown []SeatID
	for _, seat := range seats {
		if !s.Hall.Layout.Has(seat) {
			unknown = append(unknown, seat)
		}
	}
	if len(unknown) > 0 {
		return UnknownSeatsError(s.ID, unknown)
	}
	return nil
}

// InHallOrder sorts items by their seats' places in the layout, row by row
// and left to right ("A2" before "A10"); seats the layout lacks, which the
// programme's rules keep from being held, go last, by id.
func InHallOrder[T any](l *Layout, items []T, seat func(T) SeatID) {
	index := make(map[SeatID]int, len(l.Seats))
	for i, s := range l.Seats {
		index[s.ID] = i
	}
	place := func(id SeatID) int {
		if i, ok := index[id]; ok {
			return i
		}
		return len(l.Seats)
	}
	slices.SortStableFunc(items, func(a, b T) int {
		sa, sb := seat(a), seat(b)
		return cmp.Or(cmp.Compare(place(sa), place(sb)), cmp.Compare(sa, sb))
	})
}
