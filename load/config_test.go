package load

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Scenario != ScenarioSpread || c.Guests != 64 || c.DB != "sqlite" || c.Target != "" ||
		c.Duration != 10*time.Second || c.Rate != 0 || !c.Check || c.Turn != time.Second {
		t.Errorf("defaults = %+v", c)
	}
}

func TestCookielessReadersAlone(t *testing.T) {
	c, err := ParseConfig([]string{"--scenario", "read", "--guests", "0", "--readers", "64"}, io.Discard)
	if err != nil || c.Guests != 0 || c.Readers != 64 {
		t.Errorf("ParseConfig = %+v, %v; want 0 guests and 64 readers", c, err)
	}
}

func TestParseConfigNormalisesTarget(t *testing.T) {
	c, err := ParseConfig([]string{"--target", "http://127.0.0.1:8080/", "--server-pid", "42"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Target != "http://127.0.0.1:8080" {
		t.Errorf("target = %q, want it without the slash", c.Target)
	}
}

func TestParseConfigRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--scenario", "stampede"}, `--scenario "stampede"`},
		{[]string{"--guests", "0"}, "--guests 0"},
		{[]string{"--scenario", "read", "--guests", "0"}, "--readers must be more than 0"},
		{[]string{"--guests", "-1"}, "--guests -1"},
		{[]string{"--readers", "-1"}, "--readers -1"},
		{[]string{"--scenario", "watch", "--watchers", "10001"}, "--watchers 10001"},
		{[]string{"--watchers", "10"}, "--watchers is for --scenario watch"},
		{[]string{"--read", "json"}, "--read is for --scenario read"},
		{[]string{"--scenario", "read", "--read", "pdf"}, `--read "pdf"`},
		{[]string{"--duration", "0s"}, "--duration 0s"},
		{[]string{"--rate", "-5"}, "--rate -5"},
		{[]string{"--turn", "-1s"}, "--turn -1s"},
		{[]string{"--cpuprofile", "p.prof", "--turn", "2s"}, "cannot go with --turn 2s"},
		{[]string{"--seats", "-1"}, "--seats -1"},
		{[]string{"--scenario", "groups", "--seats", "1"}, "groups need at least 2"},
		{[]string{"--target", "ftp://example.com"}, `--target "ftp://example.com"`},
		{[]string{"--target", "127.0.0.1:8080"}, `--target "127.0.0.1:8080"`},
		{[]string{"--target", "http://127.0.0.1:8080", "--db", "x.db"}, "cannot go with --target"},
		{[]string{"--server-pid", "42"}, "--server-pid goes with --target"},
		{[]string{"--db", ""}, "--db must not be empty"},
		{[]string{"--progress", "maybe"}, `--progress "maybe"`},
		{[]string{"--timeout", "0s"}, "--timeout 0s"},
		{[]string{"--duration", "soon"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--source-addrs", "-1"}, "--source-addrs -1"},
		{[]string{"--source-addrs", "20001"}, "--source-addrs 20001"},
		{[]string{"--target", "http://192.0.2.1:8080", "--source-addrs", "4"}, "not on the loopback network"},
		{[]string{"--target", "http://[::1]:8080", "--source-addrs", "4"}, "not on the loopback network"},
		{[]string{"--target", "http://127.0.0.1:8080", "--limits"}, "--limits starts an in-process server"},
		{[]string{"--metrics-url", "http://127.0.0.1:9090/metrics"}, "--metrics-url goes with --target"},
		{[]string{"--target", "http://127.0.0.1:8080", "--metrics-url", "127.0.0.1:9090"}, `--metrics-url "127.0.0.1:9090"`},
		{[]string{"--target", "http://127.0.0.1:8080,ftp://example.com"}, `--target "ftp://example.com"`},
		{[]string{"--target", "http://127.0.0.1:8080,"}, `--target ""`},
		{[]string{"--target", "http://127.0.0.1:8080,http://192.0.2.1:8080", "--source-addrs", "4"}, "192.0.2.1:8080 is not on the loopback network"},
		{[]string{"--target", "http://127.0.0.1:8080,http://127.0.0.1:8081", "--metrics-url", "http://127.0.0.1:9090/metrics,9091"}, `--metrics-url "9091"`},
		{[]string{"--arrivals", "5"}, "--arrivals is for --scenario onsale"},
		{[]string{"--ramp", "1s"}, "--ramp is for --scenario onsale"},
		{[]string{"--think", "1s"}, "--think is for --scenario onsale"},
		{[]string{"--scenario", "onsale", "--arrivals", "0"}, "--arrivals 0"},
		{[]string{"--scenario", "onsale", "--arrivals", "-2"}, "--arrivals -2"},
		{[]string{"--scenario", "onsale", "--arrivals", "NaN"}, "--arrivals NaN"},
		{[]string{"--scenario", "onsale", "--duration", "10s", "--ramp", "20s"}, "--ramp 20s"},
		{[]string{"--scenario", "onsale", "--ramp", "-1s"}, "--ramp -1s"},
		{[]string{"--scenario", "onsale", "--think", "-1s"}, "--think -1s"},
		{[]string{"--scenario", "onsale", "--rate", "5"}, "--rate is not for onsale"},
		{[]string{"--scenario", "onsale", "--seats", "10"}, "--seats is not for onsale"},
		{[]string{"--scenario", "onsale", "--readers", "2"}, "--readers is not for onsale"},
		{[]string{"--scenario", "onsale", "--source-addrs", "4"}, "--source-addrs is not for onsale"},
		{[]string{"--scenario", "onsale", "--turn", "2s"}, "--turn is not for onsale"},
		{[]string{"--scenario", "onsale", "--watchers", "10001"}, "--watchers 10001"},
		{[]string{"--scenario", "onsale", "--watchers", "-1"}, "--watchers -1"},
		{[]string{"--scenario", "onsale", "--guests", "0"}, "--guests 0"},
		{[]string{"--scenario", "onsale", "--guests", "19801"}, "--guests 19801: onsale wants 1 to 19800"},
		{[]string{"--scenario", "onsale", "--target", "http://192.0.2.1:8080"}, "--scenario onsale (each guest from an address of its own): the target 192.0.2.1:8080 is not on the loopback"},
		{[]string{"--shows", "2"}, "--shows is for --scenario onsale"},
		{[]string{"--scenario", "watch", "--shows", "all"}, "--shows is for --scenario onsale"},
		{[]string{"--scenario", "onsale", "--shows", "-1"}, `invalid value "-1" for flag -shows: want a number of shows, or all`},
		{[]string{"--scenario", "onsale", "--shows", "most"}, `invalid value "most" for flag -shows`},
		{[]string{"--scenario", "onsale", "--shows", "ALL"}, `invalid value "ALL" for flag -shows`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := ParseConfig(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig(%q) = %v, want an error saying %q", tt.args, err, tt.want)
			}
		})
	}
}

// Source addresses go with a loopback target, named or numbered; one source
// address is no source address at all, so any target takes it.
func TestParseConfigSourceAddrs(t *testing.T) {
	for _, args := range [][]string{
		{"--source-addrs", "64"},
		{"--target", "http://localhost:8080", "--source-addrs", "64"},
		{"--target", "http://127.0.0.1:8080", "--source-addrs", "64", "--metrics-url", "http://127.0.0.1:9090/metrics"},
		{"--target", "http://192.0.2.1:8080", "--source-addrs", "1"},
	} {
		if _, err := ParseConfig(args, io.Discard); err != nil {
			t.Errorf("ParseConfig(%q) = %v, want no error", args, err)
		}
	}
}

// --target takes a list of instances, each checked and normalised as one.
func TestParseConfigTargetList(t *testing.T) {
	c, err := ParseConfig([]string{"--target", "http://127.0.0.1:8080/, http://localhost:8081", "--source-addrs", "8",
		"--metrics-url", "http://127.0.0.1:9090/metrics,http://127.0.0.1:9091/metrics"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://127.0.0.1:8080", "http://localhost:8081"}; !slices.Equal(c.Targets, want) {
		t.Errorf("targets = %q, want %q", c.Targets, want)
	}
	if c.Target != "http://127.0.0.1:8080,http://localhost:8081" || len(c.MetricsURLs) != 2 {
		t.Errorf("target %q, metrics URLs %q", c.Target, c.MetricsURLs)
	}
}

// onsale's defaults: a ramp of a third of the run, 200 watchers, and a
// bound on guests alive at once that the arrivals and pauses call for.
func TestParseConfigOnsale(t *testing.T) {
	c, err := ParseConfig([]string{"--scenario", "onsale", "--duration", "30s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// 20 a second, each for two pauses of up to 4 s and 10 s of requests.
	if c.Arrivals != 20 || c.Ramp != 10*time.Second || c.Think != 4*time.Second || c.Watchers != 200 || c.Guests != 360 {
		t.Errorf("onsale defaults = arrivals %v, ramp %v, think %v, watchers %d, guests %d; want 20, 10s, 4s, 200, 360",
			c.Arrivals, c.Ramp, c.Think, c.Watchers, c.Guests)
	}
	c, err = ParseConfig([]string{"--scenario", "onsale", "--arrivals", "2000", "--watchers", "0", "--ramp", "0s",
		"--think", "0s", "--target", "http://127.0.0.1:8080,http://127.0.0.1:8081"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Guests != maxSourceAddrs || c.Ramp != 0 || c.Watchers != 0 {
		t.Errorf("guests %d, ramp %v, watchers %d; want the bound at every source address (%d), no ramp, no watchers",
			c.Guests, c.Ramp, c.Watchers, maxSourceAddrs)
	}
}

// --shows: one show unless told, all of them as 0.
func TestParseConfigShows(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 1},
		{[]string{"--shows", "3"}, 3},
		{[]string{"--shows", "all"}, 0},
		{[]string{"--shows", "0"}, 0},
	} {
		c, err := ParseConfig(append([]string{"--scenario", "onsale"}, tt.args...), io.Discard)
		if err != nil || c.Shows != tt.want {
			t.Errorf("ParseConfig(%q) = shows %d, %v; want %d", tt.args, c.Shows, err, tt.want)
		}
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	_, err := ParseConfig([]string{"--guests", "0", "--rate", "-1"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--guests") || !strings.Contains(err.Error(), "--rate") {
		t.Errorf("error = %v, want both --guests and --rate named", err)
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	var out strings.Builder
	_, err := ParseConfig([]string{"-help"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(out.String(), "--scenario") && !strings.Contains(out.String(), "-scenario") {
		t.Errorf("help does not list the flags:\n%s", out.String())
	}
	if err := Run(t.Context(), []string{"-help"}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("Run -help = %v, want nil", err)
	}
}

// A profile covers the scenario alone, so the baseline runs first.
func TestCPUProfileRunsTheBaselineFirst(t *testing.T) {
	c, err := ParseConfig([]string{"--cpuprofile", "p.prof"}, io.Discard)
	if err != nil || c.Turn != 0 {
		t.Errorf("ParseConfig = turn %v, %v; want turn 0", c.Turn, err)
	}
}

// The baseline and the scenario take equal turns that add up to the
// duration.
func TestTurns(t *testing.T) {
	for _, tc := range []struct {
		d, turn time.Duration
		n       int
	}{
		{10 * time.Second, time.Second, 10},
		{10 * time.Second, 3 * time.Second, 4},
		{time.Second, time.Second, 1},
		{time.Second, 0, 1},
		{500 * time.Millisecond, time.Second, 1},
		{time.Second, 300 * time.Millisecond, 4},
	} {
		ts := turns(tc.d, tc.turn)
		var sum time.Duration
		for _, d := range ts {
			sum += d
			if tc.turn > 0 && d > tc.turn+time.Millisecond && len(ts) > 1 {
				t.Errorf("turns(%v, %v): a turn of %v", tc.d, tc.turn, d)
			}
		}
		if len(ts) != tc.n || sum != tc.d {
			t.Errorf("turns(%v, %v) = %v: %d turns adding up to %v, want %d adding up to %v", tc.d, tc.turn, ts, len(ts), sum, tc.n, tc.d)
		}
	}
}
