package server

import (
	"io"
	"strings"
	"testing"
	"time"
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
