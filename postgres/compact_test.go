package postgres

import (
	"testing"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// boxoffice_compact_to decides in the database what boxoffice.CompactLogTo
// decides in Go (door.go uses the one, a batch the other): the two agree
// on every version and floor around the points where compaction starts,
// for keeps below 20 (a step of 1) and above (a step of keep/20).
func TestCompactTo(t *testing.T) {
	s := openTest(t, pgtest.Database(t), Options{})
	for _, keep := range []int{1, 2, 19, 20, 39, 40, 100, 2000, 2021} {
		for _, floor := range []int64{0, 1, 7, int64(keep), 5 * int64(keep)} {
			for version := floor; version <= floor+int64(keep)+int64(keep/20)+2; version++ {
				var got *int64
				if err := s.pool.QueryRow(t.Context(), `SELECT boxoffice_compact_to($1, $2, $3)`,
					version, floor, keep).Scan(&got); err != nil {
					t.Fatal(err)
				}
				to, ok := boxoffice.CompactLogTo(version, floor, keep)
				if ok != (got != nil) || ok && to != *got {
					t.Fatalf("version %d, floor %d, keep %d: boxoffice_compact_to = %v, CompactLogTo = %d, %v",
						version, floor, keep, got, to, ok)
				}
			}
		}
	}
}
