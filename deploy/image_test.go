package deploy_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"boxoffice/internal/testbin"
)

// needPodman returns podman's path; without it the test skips, except in CI,
// where the image must be checked.
func needPodman(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("podman is not installed; CI must build the image (apt-get install podman)")
		}
		t.Skip("podman is not installed: the container image is not checked")
	}
	return p
}

// The image deploy/build-image makes is what the README promises: podman
// (and docker) read the right user, entrypoint, volume, port, healthcheck,
// environment and labels from it; its layers hold exactly the binary, the CA
// bundle and the two directories, owned as the user it runs as; and the
// binary taken out of it serves and says so to its own healthcheck. (podman
// run is refused by this machine's sandbox, so the binary runs outside.)
func TestContainerImage(t *testing.T) {
	podman := needPodman(t)
	script, err := filepath.Abs("build-image")
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("localhost/boxoffice-test:%d-%d", os.Getpid(), time.Now().UnixNano())
	build := exec.Command(script, tag)
	build.Dir = t.TempDir() // any working directory will do
	t.Cleanup(func() {
		if out, err := exec.Command(podman, "rmi", "--force", tag).CombinedOutput(); err != nil {
			t.Errorf("podman rmi %s: %v\n%s", tag, err, out)
		}
	})
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-image: %v\n%s", err, out)
	}

	labels := checkInspect(t, podman, tag)
	files := readImage(t, podman, tag)
	checkFiles(t, files)
	bin := filepath.Join(t.TempDir(), "boxoffice")
	if err := os.WriteFile(bin, files["boxoffice"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	checkBinary(t, bin, labels)
	checkServes(t, bin)
}

// inspected is what podman image inspect says, as far as the test reads it.
type inspected struct {
	Config struct {
		User         string
		ExposedPorts map[string]struct{}
		Env          []string
		Entrypoint   []string
		Cmd          []string
		Volumes      map[string]struct{}
		Labels       map[string]string
	}
	Healthcheck *struct{ Test []string }
}

func checkInspect(t *testing.T, podman, tag string) map[string]string {
	t.Helper()
	out, err := exec.Command(podman, "image", "inspect", tag).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	var images []inspected
	if err := json.Unmarshal(out, &images); err != nil || len(images) != 1 {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	c := images[0].Config
	if c.User != "65532:65532" {
		t.Errorf("user %q; want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/boxoffice"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q; want [/boxoffice] and none (serve is the default)", c.Entrypoint, c.Cmd)
	}
	if _, ok := c.Volumes["/data"]; !ok || len(c.Volumes) != 1 {
		t.Errorf("volumes %v; want /data", c.Volumes)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v; want 8080/tcp", c.ExposedPorts)
	}
	for _, want := range []string{"BOXOFFICE_DB=/data/boxoffice.db", "BOXOFFICE_ADDR=:8080"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("environment %q lacks %s", c.Env, want)
		}
	}
	if hc := images[0].Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/boxoffice", "healthcheck"}) {
		t.Errorf("healthcheck %+v; want [CMD /boxoffice healthcheck] (no shell in the image)", hc)
	}
	for _, l := range []string{"title", "description", "source", "licenses", "version", "revision"} {
		if c.Labels["org.opencontainers.image."+l] == "" {
			t.Errorf("label org.opencontainers.image.%s is missing; labels: %v", l, c.Labels)
		}
	}
	if c.Labels["org.opencontainers.image.title"] != "boxoffice" {
		t.Errorf("title label %q", c.Labels["org.opencontainers.image.title"])
	}
	return c.Labels
}

// entry is one file of the image's layers.
type entry struct {
	hdr  tar.Header
	data []byte // regular files only
}

// readImage saves the image as an OCI archive and reads its layers, in
// order, into one file tree (index.json → manifest → layer blobs).
func readImage(t *testing.T, podman, tag string) map[string]entry {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "image.tar")
	if out, err := exec.Command(podman, "save", "--format", "oci-archive", "-o", archive, tag).CombinedOutput(); err != nil {
		t.Fatalf("podman save: %v\n%s", err, out)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blobs := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the OCI archive: %v", err)
		}
		if h.Typeflag == tar.TypeReg {
			if blobs[path.Clean(h.Name)], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	var index struct{ Manifests []struct{ Digest string } }
	if err := json.Unmarshal(blobs["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, blobs["index.json"])
	}
	var manifest struct {
		Layers []struct{ MediaType, Digest string }
	}
	if err := json.Unmarshal(blob(t, blobs, index.Manifests[0].Digest), &manifest); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	files := map[string]entry{}
	for _, l := range manifest.Layers {
		var r io.Reader = bytes.NewReader(blob(t, blobs, l.Digest))
		if strings.HasSuffix(l.MediaType, "+gzip") {
			if r, err = gzip.NewReader(r); err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
		}
		lr := tar.NewReader(r)
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			name := strings.Trim(path.Clean("/"+h.Name), "/")
			if strings.HasPrefix(path.Base(name), ".wh.") {
				t.Errorf("layer %s deletes %s: a scratch image has nothing to delete", l.Digest, name)
				continue
			}
			e := entry{hdr: *h}
			if h.Typeflag == tar.TypeReg {
				if e.data, err = io.ReadAll(lr); err != nil {
					t.Fatal(err)
				}
			}
			files[name] = e
		}
	}
	return files
}

func blob(t *testing.T, blobs map[string][]byte, digest string) []byte {
	t.Helper()
	algo, hex, _ := strings.Cut(digest, ":")
	b, ok := blobs[path.Join("blobs", algo, hex)]
	if !ok {
		t.Fatalf("the archive has no blob %s", digest)
	}
	return b
}

// checkFiles: nothing but what the README lists, and the two directories
// the server writes owned by the user it runs as; the binary is not theirs
// to change.
func checkFiles(t *testing.T, files map[string]entry) {
	t.Helper()
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"boxoffice", "data", "etc", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/ca-certificates.crt", "tmp"}
	if !slices.Equal(names, want) {
		t.Errorf("the image holds %q; want exactly %q", names, want)
	}
	for _, d := range []struct {
		name string
		mode int64
	}{{"data", 0o700}, {"tmp", 0o1777}} {
		h := files[d.name].hdr
		if h.Typeflag != tar.TypeDir || h.Mode&0o7777 != d.mode || h.Uid != 65532 || h.Gid != 65532 {
			t.Errorf("/%s: type %c, mode %o, owner %d:%d; want a directory, mode %o, owner 65532:65532",
				d.name, h.Typeflag, h.Mode&0o7777, h.Uid, h.Gid, d.mode)
		}
	}
	if h := files["boxoffice"].hdr; h.Typeflag != tar.TypeReg || h.Mode&0o111 == 0 || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/boxoffice: mode %o, owner %d: want an executable only root may change", h.Mode, h.Uid)
	}
	host, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err == nil && !bytes.Equal(files["etc/ssl/certs/ca-certificates.crt"].data, host) {
		t.Error("/etc/ssl/certs/ca-certificates.crt is not the build machine's bundle")
	}
}

// checkBinary: static, built as the README says, and the labels say what
// the binary says of itself.
func checkBinary(t *testing.T, bin string, labels map[string]string) {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a dynamic loader: a scratch image cannot start it")
		}
	}
	ef.Close()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" || !strings.Contains(settings["-tags"], "timetzdata") {
		t.Errorf("build settings %v; want CGO_ENABLED=0, -trimpath and -tags timetzdata (the image has no zoneinfo)", settings)
	}
	if v := labels["org.opencontainers.image.version"]; v != info.Main.Version {
		t.Errorf("version label %q; the binary is %q", v, info.Main.Version)
	}
	wantRev := settings["vcs.revision"]
	if wantRev == "" {
		wantRev = "unknown"
	}
	if r := labels["org.opencontainers.image.revision"]; r != wantRev {
		t.Errorf("revision label %q; the binary was built from %q", r, wantRev)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "boxoffice "+info.Main.Version+"\n") {
		t.Errorf("boxoffice version: %v\n%s", err, out)
	}
}

// checkServes starts the binary from the image and runs its healthcheck
// against it, then stops it and runs the healthcheck again.
func checkServes(t *testing.T, bin string) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = []string{"BOXOFFICE_DB=" + filepath.Join(dir, "boxoffice.db"), "BOXOFFICE_TIMEZONE=Europe/Berlin", "TMPDIR=" + dir}
	srv := testbin.Serve(t, cmd)
	a := srv.Addr
	if out, err := exec.Command(bin, "healthcheck", "--addr", a).CombinedOutput(); err != nil {
		t.Errorf("healthcheck against the running server: %v\n%s", err, out)
	}
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Exited():
		if err := srv.Wait(); err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, srv.Logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30 s of SIGTERM")
	}
	out, err := exec.Command(bin, "healthcheck", "--addr", a).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Errorf("healthcheck against the stopped server: %v, %q; want exit 1 and one line", err, out)
	}
}
