package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice"
)

// benchShow seeds the demo programme and returns a show of the grand hall
// with its first n seats.
func benchShow(b *testing.B, s *Store, n int) (boxoffice.ShowID, []boxoffice.SeatID) {
	b.Helper()
	p := seedDemo(b, s, time.Now())
	for _, sh := range p.Shows {
		if seats := sh.Hall.Layout.Seats; len(seats) >= n {
			ids := make([]boxoffice.SeatID, n)
			for i := range ids {
				ids[i] = seats[i].ID
			}
			return sh.ID, ids
		}
	}
	b.Fatalf("no demo show has %d seats", n)
	return "", nil
}

// BenchmarkBookParallel is the reference booking workload on the store
// alone: 64 guests at once, each booking then releasing a random seat among
// 250 ("spread") or among 4 ("hot"). One op is one Book or Release, refused
// or not; every one is a durable write transaction's worth of work.
// "spread-capped" books under the server's default cap of 10 seats a guest.
// Each guest books with its ticket, as the web handler does: its first
// booking stores it, the others find it there.
func BenchmarkBookParallel(b *testing.B) {
	for _, w := range []struct {
		name    string
		seats   int
		maxHeld int
	}{{"spread", 250, 0}, {"hot", 4, 0}, {"spread-capped", 250, 10}} {
		b.Run(w.name, func(b *testing.B) {
			var batches, ops atomic.Int64
			s := openTest(b, filepath.Join(b.TempDir(), "bench.db"), Options{
				OnBatch: func(n int, _ time.Duration) { batches.Add(1); ops.Add(int64(n)) },
			})
			show, seats := benchShow(b, s, 250)
			seats = seats[:w.seats]
			ctx := context.Background()
			var guests atomic.Int64
			b.SetParallelism(max(1, 64/testingProcs()))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				token := fmt.Sprint("bench-", guests.Add(1))
				g, ticket := boxoffice.GuestFromToken(token), boxoffice.TicketCodeFor(show, token).Hash()
				var held []boxoffice.SeatID
				for pb.Next() {
					var err error
					if len(held) > 0 && rand.IntN(2) == 0 {
						_, err = s.Release(ctx, show, held[:1], g)
						held = held[1:]
					} else {
						seat := seats[rand.IntN(len(seats))]
						var c boxoffice.Change
						if c, err = s.Book(ctx, show, []boxoffice.SeatID{seat}, g, ticket, w.maxHeld); err == nil && len(c.Seats) > 0 {
							held = append(held, seat)
						}
					}
					if code := boxoffice.ErrorCode(err); err != nil && code != boxoffice.ETAKEN && code != boxoffice.ESEATLIMIT {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(ops.Load())/float64(max(1, batches.Load())), "ops/batch")
		})
	}
}

func testingProcs() int { return max(1, runtime.GOMAXPROCS(0)) }

// BenchmarkChangesSince reads the last 10 changes of a show, as the live
// hub and the seat-map cache do after each commit.
func BenchmarkChangesSince(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	show, seats := benchShow(b, s, 250)
	ctx := context.Background()
	g := boxoffice.GuestFromToken("bench")
	for _, seat := range seats[:100] {
		if _, err := s.Book(ctx, show, []boxoffice.SeatID{seat}, g, "", 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if cs, err := s.ChangesSince(ctx, show, 90, 500); err != nil || len(cs) != 10 {
				b.Fatal(len(cs), err)
			}
		}
	})
}
