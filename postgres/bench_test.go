package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// BenchmarkBook books and releases one seat: two durable commits per op.
func BenchmarkBook(b *testing.B) {
	s := openTest(b, pgtest.Database(b), Options{})
	show := seedDemoB(b, s)
	g, seat := boxoffice.GuestFromToken("bench"), []boxoffice.SeatID{show.Hall.Layout.Seats[0].ID}
	ticket := boxoffice.TicketCodeFor(show.ID, "bench").Hash() // stored once, then found
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Book(ctx, show.ID, seat, g, ticket, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Release(ctx, show.ID, seat, g); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBookOneShowParallel is the premiere: many guests book and release
// different seats of one show at once, all of them bumping its version.
func BenchmarkBookOneShowParallel(b *testing.B) {
	s := openTest(b, pgtest.Database(b), Options{})
	show := seedDemoB(b, s)
	seats := show.Hall.Layout.Seats
	var next atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(8) // 8 × GOMAXPROCS guests
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		token := fmt.Sprint("bench-", i)
		g, ticket := boxoffice.GuestFromToken(token), boxoffice.TicketCodeFor(show.ID, token).Hash()
		seat := []boxoffice.SeatID{seats[int(i)%len(seats)].ID}
		for pb.Next() {
			if _, err := s.Book(ctx, show.ID, seat, g, ticket, 0); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Release(ctx, show.ID, seat, g); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSeatMap(b *testing.B) {
	s := openTest(b, pgtest.Database(b), Options{})
	show := seedDemoB(b, s)
	ctx := context.Background()
	all := show.Hall.Layout.Seats
	// A half-full hall: every other seat, booked in batches.
	for i := 0; i < len(all); i += 2 * boxoffice.MaxSeatsPerRequest {
		var ids []boxoffice.SeatID
		for j := i; j < min(i+2*boxoffice.MaxSeatsPerRequest, len(all)); j += 2 {
			ids = append(ids, all[j].ID)
		}
		if _, err := s.Book(ctx, show.ID, ids, boxoffice.GuestFromToken(fmt.Sprint(i)), "", 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.SeatMap(ctx, show.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
