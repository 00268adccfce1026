package load

import (
	"math"
	"slices"
	"time"
)

// tally counts one kind of operation for one worker; workers merge theirs at
// the end, so recording takes no lock.
type tally struct {
	ok, conflicts, errors int64
	limited               int64 // refused by a limit: 429, 503
	unavailable           int64 // of those, the 503s
	// lat holds each finished operation's latency in microseconds: 4 bytes a
	// sample keeps millions of them (10,000 watchers × every event) cheap,
	// and no figure here needs finer than a microsecond.
	lat []uint32
}

func (t *tally) record(d time.Duration, o outcome) {
	switch o {
	case outcomeOK:
		t.ok++
	case outcomeConflict:
		t.conflicts++
	case outcomeLimited:
		t.limited++
	case outcomeUnavailable:
		t.limited++
		t.unavailable++
	default:
		t.errors++
	}
	t.lat = append(t.lat, micros(d))
}

// isLimited says whether o is a refusal the report counts as limited.
func (o outcome) isLimited() bool { return o == outcomeLimited || o == outcomeUnavailable }

func (t *tally) merge(o *tally) {
	t.ok += o.ok
	t.conflicts += o.conflicts
	t.errors += o.errors
	t.limited += o.limited
	t.unavailable += o.unavailable
	t.lat = append(t.lat, o.lat...)
}

func micros(d time.Duration) uint32 {
	us := d.Microseconds()
	switch {
	case us < 0:
		return 0
	case us > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(us)
}

// outcome is what an operation's answer meant.
type outcome int

const (
	outcomeOK          outcome = iota
	outcomeConflict            // refused by the rules: 409 taken, 403 someone else's
	outcomeLimited             // refused by a limit: 429 (per client)
	outcomeUnavailable         // 503: the server at a limit of its own, or unavailable; counted as limited too
	outcomeError               // anything else: the server failed or could not be reached
)

// Quantiles are latency figures in milliseconds.
type Quantiles struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p99_9_ms"`
	Max  float64 `json:"max_ms"`
}

// quantiles computes exact quantiles of samples (microseconds) by the
// nearest-rank method: the q-quantile is the smallest sample that at least
// q of all samples do not exceed. It sorts samples in place.
func quantiles(samples []uint32) Quantiles {
	if len(samples) == 0 {
		return Quantiles{}
	}
	slices.Sort(samples)
	ms := func(us uint32) float64 { return float64(us) / 1000 }
	return Quantiles{
		P50:  ms(rank(samples, 0.50)),
		P90:  ms(rank(samples, 0.90)),
		P99:  ms(rank(samples, 0.99)),
		P999: ms(rank(samples, 0.999)),
		Max:  ms(samples[len(samples)-1]),
	}
}

// rank is the nearest-rank q-quantile of sorted, which must not be empty.
func rank(sorted []uint32, q float64) uint32 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
