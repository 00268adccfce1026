package load

import (
	"testing"
	"time"
)

func TestQuantilesNearestRank(t *testing.T) {
	// 1..1000 µs: the q-quantile by nearest rank is the ceil(q·n)-th sample.
	var s []uint32
	for i := 1000; i >= 1; i-- { // unsorted on purpose
		s = append(s, uint32(i))
	}
	got := quantiles(s)
	want := Quantiles{P50: 0.5, P90: 0.9, P99: 0.99, P999: 0.999, Max: 1}
	if got != want {
		t.Fatalf("quantiles(1..1000 µs) = %+v, want %+v", got, want)
	}
}

func TestQuantilesSmallSamples(t *testing.T) {
	tests := []struct {
		name    string
		samples []uint32
		want    Quantiles
	}{
		{"none", nil, Quantiles{}},
		{"one", []uint32{2500}, Quantiles{P50: 2.5, P90: 2.5, P99: 2.5, P999: 2.5, Max: 2.5}},
		// Of 10 samples, p50 is the 5th, p90 the 9th, p99 and p99.9 the 10th.
		{"ten", []uint32{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Quantiles{P50: 0.005, P90: 0.009, P99: 0.01, P999: 0.01, Max: 0.01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quantiles(tt.samples); got != tt.want {
				t.Errorf("quantiles = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTallyCountsOutcomesAndKeepsEveryLatency(t *testing.T) {
	var a, b tally
	a.record(time.Millisecond, outcomeOK)
	a.record(2*time.Millisecond, outcomeConflict)
	b.record(3*time.Millisecond, outcomeError)
	b.record(-time.Millisecond, outcomeOK) // a clock step back counts as 0, not as a huge number
	a.merge(&b)
	if a.ok != 2 || a.conflicts != 1 || a.errors != 1 {
		t.Errorf("ok, conflicts, errors = %d, %d, %d; want 2, 1, 1", a.ok, a.conflicts, a.errors)
	}
	if got := quantiles(a.lat); got.Max != 3 || got.P50 != 1 {
		t.Errorf("quantiles of merged tallies = %+v, want p50 1 ms and max 3 ms", got)
	}
}

func TestRatiosArePerWorker(t *testing.T) {
	base := Row{Workers: 128, PerSec: 12800, Quantiles: Quantiles{P50: 1, P99: 4}}
	// 64 of the 128 workers doing 3200/s: half the baseline's rate per worker.
	r := Row{Workers: 64, PerSec: 3200, Quantiles: Quantiles{P50: 3, P99: 2}}
	r.compare(base)
	if r.RateRatio != 0.5 || r.P50Ratio != 3 || r.P99Ratio != 0.5 {
		t.Errorf("ratios = %v, %v, %v; want 0.5, 3, 0.5", r.RateRatio, r.P50Ratio, r.P99Ratio)
	}
}
