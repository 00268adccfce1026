package server

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Build is what a binary knows of where it came from, as the Go toolchain
// recorded it: the module version and the commit it was built from. An
// operator reads it to tell which code answers (boxoffice version, the
// start-up log line, boxoffice_build_info).
type Build struct {
	Version   string // the module version, e.g. v1.2.0, a pseudo-version, or (devel)
	Revision  string // the VCS commit; "" when built without version control information
	Time      string // the commit's time (RFC 3339); "" as Revision
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string // the toolchain, e.g. go1.26.0
}

// ReadBuild returns this binary's build information.
func ReadBuild() Build { return buildFrom(debug.ReadBuildInfo()) }

// buildFrom reads what ReadBuild returns from the toolchain's record, if ok.
func buildFrom(info *debug.BuildInfo, ok bool) Build {
	b := Build{Version: "(devel)", GoVersion: runtime.Version()}
	if !ok || info == nil {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified, _ = strconv.ParseBool(s.Value)
		}
	}
	return b
}

// revision is Revision for a label or a log attribute, which must not be
// empty: a metric query for the revision running must find something.
func (b Build) revision() string {
	if b.Revision == "" {
		return "unknown"
	}
	return b.Revision
}

// LogAttrs are the build's log attributes, for the start-up line.
func (b Build) LogAttrs() []any {
	attrs := []any{slog.String("version", b.Version), slog.String("revision", b.revision())}
	if b.Revision != "" {
		attrs = append(attrs, slog.String("vcs_time", b.Time), slog.Bool("modified", b.Modified))
	}
	return append(attrs, slog.String("go", b.GoVersion))
}

// WriteTo writes the build as boxoffice version prints it.
func (b Build) WriteTo(w io.Writer) (int64, error) {
	s := fmt.Sprintf("boxoffice %s\n", b.Version)
	if b.Revision == "" {
		// Said plainly: a missing revision is how the binary was built
		// (outside a checkout, -buildvcs=false, go run), not a fault.
		s += "  revision: unknown: built without version control information\n" +
			"            (outside a git checkout, or with go build -buildvcs=false)\n"
	} else {
		s += "  revision: " + b.Revision
		if b.Modified {
			s += " (modified: built with uncommitted changes)"
		}
		s += "\n  time:     " + b.Time + "\n"
	}
	s += fmt.Sprintf("  go:       %s %s/%s\n", b.GoVersion, runtime.GOOS, runtime.GOARCH)
	n, err := io.WriteString(w, s)
	return int64(n), err
}

// versionCommand is boxoffice version (and --version).
func versionCommand(stdout io.Writer) error {
	_, err := ReadBuild().WriteTo(stdout)
	return err
}
