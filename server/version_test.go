package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func vcs(revision, time, modified string) *debug.BuildInfo {
	return &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "boxoffice", Version: "v0.0.0-20260102030405-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: time},
			{Key: "vcs.modified", Value: modified},
		}}
}

// What an operator reads to know which code answers: the version and the
// commit, whether the tree had uncommitted changes, and plainly when the
// binary cannot tell.
func TestBuild(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		name  string
		info  *debug.BuildInfo
		ok    bool
		want  Build
		print []string
	}{
		{"from a clean checkout", vcs(rev, "2026-01-02T03:04:05Z", "false"), true,
			Build{Version: "v0.0.0-20260102030405-0123456789ab+dirty", Revision: rev, Time: "2026-01-02T03:04:05Z", GoVersion: "go1.26.1"},
			[]string{"boxoffice v0.0.0-20260102030405-0123456789ab+dirty\n", "revision: " + rev + "\n", "time:     2026-01-02T03:04:05Z", "go:       go1.26.1 "}},
		{"with uncommitted changes", vcs(rev, "2026-01-02T03:04:05Z", "true"), true,
			Build{Version: "v0.0.0-20260102030405-0123456789ab+dirty", Revision: rev, Time: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.1"},
			[]string{"revision: " + rev + " (modified"}},
		{"without version control", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "boxoffice", Version: "(devel)"}}, true,
			Build{Version: "(devel)", GoVersion: "go1.26.1"},
			[]string{"boxoffice (devel)\n", "revision: unknown: built without version control information"}},
		{"without build information", nil, false,
			Build{Version: "(devel)", GoVersion: runtime.Version()},
			[]string{"revision: unknown"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := buildFrom(c.info, c.ok)
			if got != c.want {
				t.Errorf("buildFrom = %+v\nwant %+v", got, c.want)
			}
			var out bytes.Buffer
			if _, err := got.WriteTo(&out); err != nil {
				t.Fatal(err)
			}
			for _, want := range c.print {
				if !strings.Contains(out.String(), want) {
					t.Errorf("boxoffice version prints\n%s\nwithout %q", out.String(), want)
				}
			}
			if !c.want.Modified && strings.Contains(out.String(), "modified") {
				t.Errorf("a clean build printed as modified:\n%s", out.String())
			}
		})
	}
}

// The start-up log line and the metric carry the same build; a binary
// without a revision says "unknown" rather than an empty label.
func TestBuildLogAndMetric(t *testing.T) {
	var logs bytes.Buffer
	srv := startConfig(t, Config{}, slog.New(slog.NewTextHandler(&logs, nil)))
	defer srv.Shutdown()
	b := ReadBuild()
	line := fmt.Sprintf("msg=starting version=%s revision=%s", b.Version, b.revision())
	if !strings.Contains(logs.String(), line) {
		t.Errorf("the start-up log lacks %q:\n%s", line, logs.String())
	}
	_, body := get(t, "http://"+srv.URLHost()+"/metrics", "")
	series := fmt.Sprintf(`boxoffice_build_info{go_version=%q,revision=%q,version=%q} 1`, b.GoVersion, b.revision(), b.Version)
	if !strings.Contains(body, series) {
		t.Errorf("/metrics lacks %s", series)
	}
}

// boxoffice version, --version and -version print the build, as the
// Containerfile's users and bug reports ask for it.
func TestVersionCommand(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		var stdout, stderr bytes.Buffer
		if err := Run(t.Context(), []string{arg}, getenv(nil), strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v %s", arg, err, stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), "boxoffice "+ReadBuild().Version+"\n") || !strings.Contains(stdout.String(), "revision: ") {
			t.Errorf("%s printed %q", arg, stdout.String())
		}
	}
}
