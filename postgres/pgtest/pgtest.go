// Package pgtest gives each test its own PostgreSQL database, created on the
// server that the environment variable BOXOFFICE_TEST_POSTGRES names (a URL
// of a role allowed to create databases) and dropped when the test ends.
//
// Without the variable the test is skipped with a one-line reason, unless CI
// is "true": there a missing or unreachable server fails the test, so that a
// CI run cannot pass without having tested PostgreSQL.
package pgtest

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice/internal/pgtemp"
)

// EnvVar names the server the tests may create databases on.
const EnvVar = "BOXOFFICE_TEST_POSTGRES"

// Server returns the URL in BOXOFFICE_TEST_POSTGRES, skipping or failing the
// test when it is unset.
func Server(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must test PostgreSQL (.ci/run sets it)", EnvVar)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a postgres:// URL of a role that may create databases", EnvVar)
	}
	return u
}

// Database creates an empty database for the test and returns its URL. The
// database is dropped, its connections closed, when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	server := Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, drop, err := pgtemp.Create(ctx, server, "boxoffice_test_")
	if err != nil {
		t.Fatalf("a test database on the server %s names: %v", EnvVar, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// Connect opens one connection to dbURL that the test closes when it ends.
func Connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL (%s): %v", EnvVar, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Name returns the database name in dbURL.
func Name(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || len(u.Path) < 2 {
		t.Fatalf("no database name in %q", dbURL)
	}
	return u.Path[1:]
}

// Cut makes the database unreachable for clients: new connections are
// refused and the existing ones are terminated, as an outage would. Other
// databases on the server are not touched.
func Cut(t testing.TB, dbURL string) {
	t.Helper()
	name := Name(t, dbURL)
	admin := Connect(t, Server(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatalf("refusing connections to %s: %v", name, err)
	}
	Terminate(t, dbURL, "")
}

// Restore lets clients connect to the database again after Cut.
func Restore(t testing.TB, dbURL string) {
	t.Helper()
	name := Name(t, dbURL)
	admin := Connect(t, Server(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS true"); err != nil {
		t.Fatalf("allowing connections to %s: %v", name, err)
	}
}

// Terminate ends the database's connections whose application_name is
// appName ("" for every connection), as pg_terminate_backend does when an
// administrator or a failover cuts them. It returns how many it ended.
func Terminate(t testing.TB, dbURL, appName string) int {
	t.Helper()
	admin := Connect(t, Server(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := admin.QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid() AND ($2 = '' OR application_name = $2)`,
		Name(t, dbURL), appName).Scan(&n)
	if err != nil {
		t.Fatalf("terminating connections: %v", err)
	}
	return n
}
