package server

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"boxoffice/web"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDefaultsEnvAndFlags(t *testing.T) {
	c, err := ParseConfig(nil, getenv(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DB != "boxoffice.db" || !c.Demo || c.TrustForwardedProto || c.DBPoolSize != 0 || c.MetricsToken != "" ||
		c.ShutdownTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	env := getenv(map[string]string{"BOXOFFICE_ADDR": ":9000", "BOXOFFICE_DB": "env.db", "BOXOFFICE_DEMO": "false",
		"BOXOFFICE_DB_POOL_SIZE": "5", "BOXOFFICE_METRICS_TOKEN": "s3cret", "BOXOFFICE_SHUTDOWN_TIMEOUT": "30s"})
	if c, _ = ParseConfig(nil, env, io.Discard); c.Addr != ":9000" || c.DB != "env.db" || c.Demo || c.DBPoolSize != 5 || c.MetricsToken != "s3cret" ||
		c.ShutdownTimeout != 30*time.Second {
		t.Errorf("environment ignored: %+v", c)
	}
	if c, _ = ParseConfig([]string{"--addr", ":7000", "--db", "flag.db", "--db-pool-size", "3", "--shutdown-timeout", "2s"}, env, io.Discard); c.Addr != ":7000" || c.DB != "flag.db" || c.DBPoolSize != 3 ||
		c.ShutdownTimeout != 2*time.Second {
		t.Errorf("flags do not win over the environment: %+v", c)
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--timezone", "Mars/Olympus"}, nil},
		{[]string{"--log-level", "loud"}, nil},
		{[]string{"--log-format", "xml"}, nil},
		{[]string{"--db", ""}, nil},
		{[]string{"extra"}, nil},
		{nil, map[string]string{"BOXOFFICE_DEMO": "maybe"}},
		{nil, map[string]string{"BOXOFFICE_DB_POOL_SIZE": "many"}},
		{nil, map[string]string{"BOXOFFICE_SHUTDOWN_TIMEOUT": "soon"}},
		{[]string{"--db-pool-size", "-1"}, nil},
		{[]string{"--db-pool-size", "5000"}, nil},
	} {
		if _, err := ParseConfig(tc.args, getenv(tc.env), io.Discard); err == nil {
			t.Errorf("ParseConfig(%v, %v) accepted it", tc.args, tc.env)
		}
	}
}

func TestRedactDB(t *testing.T) {
	got := redactDB("postgres://app:hunter2@db:5432/box?sslmode=disable")
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "db:5432") {
		t.Errorf("redactDB = %q", got)
	}
	if redactDB("data/box.db") != "data/box.db" {
		t.Error("a file path was changed")
	}
}

// limits is the part of a Config that the limit flags set.
type limits struct {
	Seats, Burst, StreamsPerClient, Streams, ConnsPerClient, HistoryDays int
	Rate                                                                 float64
	Proxies, MetricsAddr                                                 string
}

func limitsOf(c Config) limits {
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	return limits{c.MaxSeatsPerGuest, c.WriteBurst, c.MaxStreamsPerClient, c.MaxStreams, c.MaxConnsPerClient, c.HistoryDays,
		c.WriteRate, strings.Join(proxies, ","), c.MetricsAddr}
}

// withOpenFiles makes --max-streams auto see limit n.
func withOpenFiles(t *testing.T, n uint64, err error) {
	t.Helper()
	saved := openFilesLimit
	openFilesLimit = func() (uint64, error) { return n, err }
	t.Cleanup(func() { openFilesLimit = saved })
}

func TestConfigLimits(t *testing.T) {
	withOpenFiles(t, 65536, nil)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want limits
	}{
		{"defaults", nil, nil,
			limits{Seats: 10, Rate: 10, Burst: 40, StreamsPerClient: 64, Streams: 65536 - 1024, ConnsPerClient: 256, HistoryDays: 30}},
		{"environment", nil, map[string]string{
			"BOXOFFICE_MAX_SEATS_PER_GUEST": "4", "BOXOFFICE_WRITE_RATE": "0.5", "BOXOFFICE_WRITE_BURST": "3",
			"BOXOFFICE_MAX_STREAMS_PER_CLIENT": "8", "BOXOFFICE_MAX_STREAMS": "500", "BOXOFFICE_MAX_CONNS_PER_CLIENT": "16",
			"BOXOFFICE_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::1", "BOXOFFICE_HISTORY_DAYS": "7",
			"BOXOFFICE_METRICS_ADDR": "127.0.0.1:9090"},
			limits{Seats: 4, Rate: 0.5, Burst: 3, StreamsPerClient: 8, Streams: 500, ConnsPerClient: 16, HistoryDays: 7,
				Proxies: "10.0.0.0/8,2001:db8::1/128", MetricsAddr: "127.0.0.1:9090"}},
		{"flags win", []string{"--max-seats-per-guest", "2", "--write-rate", "2.5", "--write-burst", "5",
			"--max-streams-per-client", "9", "--max-streams", "auto", "--max-conns-per-client", "17",
			"--trusted-proxies", "192.0.2.1", "--history-days", "1", "--metrics-addr", "127.0.0.1:9191"},
			map[string]string{"BOXOFFICE_MAX_SEATS_PER_GUEST": "4", "BOXOFFICE_WRITE_RATE": "0.5", "BOXOFFICE_WRITE_BURST": "3",
				"BOXOFFICE_MAX_STREAMS_PER_CLIENT": "8", "BOXOFFICE_MAX_STREAMS": "500", "BOXOFFICE_MAX_CONNS_PER_CLIENT": "16",
				"BOXOFFICE_TRUSTED_PROXIES": "10.0.0.0/8", "BOXOFFICE_HISTORY_DAYS": "7", "BOXOFFICE_METRICS_ADDR": "127.0.0.1:9090"},
			limits{Seats: 2, Rate: 2.5, Burst: 5, StreamsPerClient: 9, Streams: 65536 - 1024, ConnsPerClient: 17, HistoryDays: 1,
				Proxies: "192.0.2.1/32", MetricsAddr: "127.0.0.1:9191"}},
		// 0 switches each limit off (the burst is no limit: it stays).
		{"zero is off", []string{"--max-seats-per-guest", "0", "--write-rate", "0",
			"--max-streams-per-client", "0", "--max-streams", "0", "--max-conns-per-client", "0", "--history-days", "0"}, nil,
			limits{Burst: 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.args, getenv(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := limitsOf(c); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestConfigMaxStreamsAuto(t *testing.T) {
	for _, tc := range []struct {
		limit    uint64
		want     int
		fromPart string
	}{
		{1 << 20, 1<<20 - 1024, "open-files limit 1048576"},
		{1088, 64, "at least 64"},
		{1024, 64, "at least 64"}, // a limit below the reserve still leaves some streams
		{256, 64, "at least 64"},
		{math.MaxUint64, math.MaxInt32, "open-files limit"}, // unlimited, as RLIM_INFINITY reads
		{0, 0, "no open-files limit"},
	} {
		withOpenFiles(t, tc.limit, nil)
		c, err := ParseConfig(nil, getenv(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxStreams != tc.want || !strings.Contains(c.maxStreamsFrom, tc.fromPart) {
			t.Errorf("open-files limit %d: --max-streams auto = %d from %q, want %d from something with %q",
				tc.limit, c.MaxStreams, c.maxStreamsFrom, tc.want, tc.fromPart)
		}
	}
	withOpenFiles(t, 0, errors.New("getrlimit: no"))
	if _, err := ParseConfig(nil, getenv(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--max-streams") {
		t.Errorf("an unreadable open-files limit with auto: %v, want an error naming --max-streams", err)
	}
	if c, err := ParseConfig([]string{"--max-streams", "100"}, getenv(nil), io.Discard); err != nil || c.MaxStreams != 100 {
		t.Errorf("a number needs no open-files limit: %d, %v", c.MaxStreams, err)
	}
}

func TestConfigRejectsBadLimits(t *testing.T) {
	withOpenFiles(t, 65536, nil)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		says string // the message names what is wrong
	}{
		{[]string{"--max-seats-per-guest", "-1"}, nil, "--max-seats-per-guest -1"},
		{[]string{"--write-rate", "-0.5"}, nil, "--write-rate"},
		{[]string{"--write-rate", "NaN"}, nil, "--write-rate"},
		{[]string{"--write-rate", "+Inf"}, nil, "--write-rate"},
		{[]string{"--write-burst", "0"}, nil, "--write-burst 0: want at least 1"},
		{[]string{"--write-burst", "-3", "--write-rate", "0"}, nil, "--write-burst"},
		{[]string{"--write-burst", "0", "--write-rate", "0"}, nil, "--write-burst 0: want at least 1"},
		{[]string{"--max-streams-per-client", "-2"}, nil, "--max-streams-per-client"},
		{[]string{"--max-streams", "-5"}, nil, "--max-streams"},
		{[]string{"--max-streams", "lots"}, nil, "--max-streams"},
		{[]string{"--max-conns-per-client", "-1"}, nil, "--max-conns-per-client"},
		{[]string{"--history-days", "-30"}, nil, "--history-days"},
		{[]string{"--trusted-proxies", "10.0.0.0/33"}, nil, "10.0.0.0/33"},
		{[]string{"--trusted-proxies", "proxy.internal"}, nil, "proxy.internal"},
		{nil, map[string]string{"BOXOFFICE_WRITE_RATE": "fast"}, "BOXOFFICE_WRITE_RATE"},
		{nil, map[string]string{"BOXOFFICE_MAX_CONNS_PER_CLIENT": "1e3"}, "BOXOFFICE_MAX_CONNS_PER_CLIENT"},
		{nil, map[string]string{"BOXOFFICE_WRITE_BURST": "0"}, "--write-burst 0"},
	} {
		_, err := ParseConfig(tc.args, getenv(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseConfig(%v, %v) = %v, want an error saying %q", tc.args, tc.env, err, tc.says)
		}
	}
}

// The admin token comes from the flag or the environment, and a short one
// stops the server from starting, naming the rule.
func TestConfigAdminToken(t *testing.T) {
	long := strings.Repeat("k", 32)
	if c, err := ParseConfig(nil, getenv(nil), io.Discard); err != nil || c.AdminToken != "" {
		t.Fatalf("default: %q, %v; want no admin token", c.AdminToken, err)
	}
	if c, err := ParseConfig(nil, getenv(map[string]string{"BOXOFFICE_ADMIN_TOKEN": long}), io.Discard); err != nil || c.AdminToken != long {
		t.Errorf("from the environment: %q, %v", c.AdminToken, err)
	}
	flag := strings.Repeat("f", 40)
	if c, err := ParseConfig([]string{"--admin-token", flag}, getenv(map[string]string{"BOXOFFICE_ADMIN_TOKEN": long}), io.Discard); err != nil || c.AdminToken != flag {
		t.Errorf("the flag does not win: %q, %v", c.AdminToken, err)
	}
	for _, args := range [][]string{{"--admin-token", strings.Repeat("k", 31)}, {"--admin-token", "short"}} {
		_, err := ParseConfig(args, getenv(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "at least 32") {
			t.Errorf("ParseConfig(%v) = %v, want a refusal naming 32 characters", args, err)
		}
	}
}

// The door token comes from the flag or the environment, and the server
// refuses to start with one that is short, equal to the admin token, or
// without an admin token beside it, naming the rule.
func TestConfigDoorToken(t *testing.T) {
	admin, door := strings.Repeat("a", 32), strings.Repeat("d", 32)
	withAdmin := map[string]string{"BOXOFFICE_ADMIN_TOKEN": admin}
	if c, err := ParseConfig(nil, getenv(withAdmin), io.Discard); err != nil || c.DoorToken != "" {
		t.Fatalf("default: %q, %v; want no door token", c.DoorToken, err)
	}
	if c, err := ParseConfig(nil, getenv(map[string]string{"BOXOFFICE_ADMIN_TOKEN": admin, "BOXOFFICE_DOOR_TOKEN": door}), io.Discard); err != nil || c.DoorToken != door {
		t.Errorf("from the environment: %q, %v", c.DoorToken, err)
	}
	flag := strings.Repeat("f", 40)
	if c, err := ParseConfig([]string{"--door-token", flag}, getenv(map[string]string{"BOXOFFICE_ADMIN_TOKEN": admin, "BOXOFFICE_DOOR_TOKEN": door}), io.Discard); err != nil || c.DoorToken != flag {
		t.Errorf("the flag does not win: %q, %v", c.DoorToken, err)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--door-token", strings.Repeat("d", 31)}, withAdmin, "at least 32"},
		{[]string{"--door-token", admin}, withAdmin, "differ"},
		{[]string{"--door-token", door}, nil, "admin token"},
	} {
		_, err := ParseConfig(tc.args, getenv(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConfig(%v, %v) = %v, want a refusal naming %q", tc.args, tc.env, err, tc.want)
		}
	}
}

// The public URL is an http or https address with a host, kept without a
// trailing slash; anything else stops the server from starting.
func TestConfigPublicURL(t *testing.T) {
	if c, err := ParseConfig(nil, getenv(nil), io.Discard); err != nil || c.PublicURL != "" {
		t.Fatalf("default: %q, %v; want none", c.PublicURL, err)
	}
	for in, want := range map[string]string{
		"https://tickets.example.com":  "https://tickets.example.com",
		"https://tickets.example.com/": "https://tickets.example.com",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"https://[2001:db8::1]:8443/":  "https://[2001:db8::1]:8443",
	} {
		if c, err := ParseConfig([]string{"--public-url", in}, getenv(nil), io.Discard); err != nil || c.PublicURL != want {
			t.Errorf("--public-url %s: %q, %v; want %q", in, c.PublicURL, err, want)
		}
	}
	if c, err := ParseConfig(nil, getenv(map[string]string{"BOXOFFICE_PUBLIC_URL": "https://env.example.com/"}), io.Discard); err != nil || c.PublicURL != "https://env.example.com" {
		t.Errorf("from the environment: %q, %v", c.PublicURL, err)
	}
	for _, bad := range []string{"tickets.example.com", "ftp://example.com", "https://", "https://user:pw@example.com",
		"https://example.com/?a=1", "https://example.com/#top", "https://example.com/cinema/", "/relative", "mailto:x@example.com"} {
		if _, err := ParseConfig([]string{"--public-url", bad}, getenv(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("--public-url %q: %v, want a refusal naming the flag", bad, err)
		}
	}
}

// --access-log takes all (the default), errors or off, from the flag or
// BOXOFFICE_ACCESS_LOG, the flag winning; anything else stops the server
// from starting, naming the flag.
func TestConfigAccessLog(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want web.AccessLog
	}{
		{nil, nil, web.AccessLogAll},
		{[]string{"--access-log", "errors"}, nil, web.AccessLogErrors},
		{[]string{"--access-log", "off"}, nil, web.AccessLogOff},
		{[]string{"--access-log=all"}, nil, web.AccessLogAll},
		{nil, map[string]string{"BOXOFFICE_ACCESS_LOG": "off"}, web.AccessLogOff},
		{nil, map[string]string{"BOXOFFICE_ACCESS_LOG": "errors"}, web.AccessLogErrors},
		{[]string{"--access-log", "all"}, map[string]string{"BOXOFFICE_ACCESS_LOG": "off"}, web.AccessLogAll},
	} {
		c, err := ParseConfig(tc.args, getenv(tc.env), io.Discard)
		if err != nil || c.AccessLog != tc.want {
			t.Errorf("ParseConfig(%v, %v): access log %v, %v; want %v", tc.args, tc.env, c.AccessLog, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--access-log", "none"}, nil},
		{[]string{"--access-log", "ERRORS"}, nil},
		{[]string{"--access-log", ""}, nil},
		{nil, map[string]string{"BOXOFFICE_ACCESS_LOG": "4xx"}},
	} {
		_, err := ParseConfig(tc.args, getenv(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--access-log") || !strings.Contains(err.Error(), "all, errors or off") {
			t.Errorf("ParseConfig(%v, %v) = %v, want a refusal naming --access-log and its values", tc.args, tc.env, err)
		}
	}
}
