package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The YAML examples are checked for the facts the site depends on, not for
// their shape alone: compose and Kubernetes themselves cannot run here.

type composeFile struct {
	Services map[string]struct {
		Image       string
		Environment map[string]string
		Healthcheck struct{ Test []string }
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
		Volumes     []string
		Ports       []string
		Networks    yaml.Node
		StopGrace   string `yaml:"stop_grace_period"`
	}
	Networks map[string]struct {
		IPAM struct{ Config []struct{ Subnet string } } `yaml:"ipam"`
	}
	Volumes map[string]any
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// nginxUpstreams is the host:port of each upstream server in nginx.conf.
func nginxUpstreams(t *testing.T) []string {
	t.Helper()
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var servers []string
	for line := range strings.SplitSeq(string(conf), "\n") {
		if m := editLine.FindStringSubmatch(line); m != nil && strings.TrimSpace(m[1]) == "server" {
			servers = append(servers, m[2])
		}
	}
	return servers
}

// compose.yaml describes a site that works: the instances trust nginx's
// fixed address and nothing else, share one database, are healthy before
// nginx starts, and nginx runs deploy/nginx.conf, whose upstreams are the
// instances.
func TestComposeFile(t *testing.T) {
	var c composeFile
	readYAML(t, "compose.yaml", &c)

	nginx, ok := c.Services["nginx"]
	if !ok {
		t.Fatal("compose.yaml has no nginx service")
	}
	var nets map[string]struct {
		IPv4 string `yaml:"ipv4_address"`
	}
	if err := nginx.Networks.Decode(&nets); err != nil || len(nets) != 1 {
		t.Fatalf("nginx's networks: want one, with a fixed ipv4_address (%v)", err)
	}
	var netName, nginxAddr string
	for name, n := range nets {
		netName, nginxAddr = name, n.IPv4
	}
	addr, err := netip.ParseAddr(nginxAddr)
	if err != nil {
		t.Fatalf("nginx's ipv4_address %q: %v", nginxAddr, err)
	}
	if cfg := c.Networks[netName].IPAM.Config; len(cfg) != 1 {
		t.Fatalf("network %s: want one fixed subnet, have %v", netName, cfg)
	} else if subnet, err := netip.ParsePrefix(cfg[0].Subnet); err != nil || !subnet.Contains(addr) {
		t.Fatalf("nginx's address %s is not in network %s's subnet %q (%v)", addr, netName, cfg[0].Subnet, err)
	}
	if !slices.ContainsFunc(nginx.Volumes, func(v string) bool {
		return strings.HasPrefix(v, "./nginx.conf:/etc/nginx/conf.d/") && strings.Contains(v, ".conf:ro")
	}) {
		t.Errorf("nginx's volumes %v do not mount ./nginx.conf read-only into /etc/nginx/conf.d/", nginx.Volumes)
	}
	if len(nginx.Ports) == 0 {
		t.Error("nginx publishes no port")
	}

	// The instances are the services that run the boxoffice image.
	var instances []string
	for name, s := range c.Services {
		if s.Image == "boxoffice:latest" {
			instances = append(instances, name)
		}
	}
	slices.Sort(instances)
	if len(instances) < 2 {
		t.Fatalf("compose.yaml runs %d boxoffice instances (image boxoffice:latest); want 2 or more", len(instances))
	}
	pg := c.Services["postgres"]
	var db string
	for _, name := range instances {
		s := c.Services[name]
		env := s.Environment
		if got := env["BOXOFFICE_TRUSTED_PROXIES"]; got != nginxAddr {
			t.Errorf("%s trusts %q as its proxy; want nginx's address %s alone", name, got, nginxAddr)
		}
		if db == "" {
			db = env["BOXOFFICE_DB"]
		} else if env["BOXOFFICE_DB"] != db {
			t.Errorf("%s's BOXOFFICE_DB differs from %s's: the instances must share one database", name, instances[0])
		}
		if tok := env["BOXOFFICE_ADMIN_TOKEN"]; !strings.HasPrefix(tok, "${BOXOFFICE_ADMIN_TOKEN") {
			t.Errorf("%s's admin token is %q; want it from the operator's .env", name, tok)
		}
		if !slices.Equal(s.Healthcheck.Test, []string{"CMD", "/boxoffice", "healthcheck"}) {
			t.Errorf("%s's healthcheck is %v; want boxoffice healthcheck, which needs no shell", name, s.Healthcheck.Test)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy postgres", name)
		}
		if nginx.DependsOn[name].Condition != "service_healthy" {
			t.Errorf("nginx does not wait for a healthy %s", name)
		}
		grace, err := time.ParseDuration(s.StopGrace)
		delay, _ := time.ParseDuration(env["BOXOFFICE_SHUTDOWN_DELAY"])
		timeout, _ := time.ParseDuration(env["BOXOFFICE_SHUTDOWN_TIMEOUT"])
		if err != nil || grace <= delay+timeout {
			t.Errorf("%s: stop_grace_period %q; want more than the shutdown delay plus timeout (%v)", name, s.StopGrace, delay+timeout)
		}
		if !strings.Contains(s.Networks.Value+nodeText(s.Networks), netName) {
			t.Errorf("%s is not on network %s with nginx", name, netName)
		}
	}

	// One database, the postgres service's (compose fills in the password).
	u, err := url.Parse(regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(db, "secret"))
	if err != nil || u.Scheme != "postgres" || u.Hostname() != "postgres" {
		t.Fatalf("BOXOFFICE_DB %q: want a postgres:// URL of the postgres service (%v)", db, err)
	}
	if u.User.Username() != pg.Environment["POSTGRES_USER"] || strings.TrimPrefix(u.Path, "/") != pg.Environment["POSTGRES_DB"] {
		t.Errorf("BOXOFFICE_DB %q names another user or database than postgres's %s/%s", db, pg.Environment["POSTGRES_USER"], pg.Environment["POSTGRES_DB"])
	}
	if !slices.Contains(pg.Healthcheck.Test, "pg_isready") {
		t.Errorf("postgres's healthcheck %v does not run pg_isready", pg.Healthcheck.Test)
	}
	if !slices.ContainsFunc(pg.Volumes, func(v string) bool {
		name, dir, _ := strings.Cut(v, ":")
		_, declared := c.Volumes[name]
		return declared && dir == "/var/lib/postgresql/data"
	}) {
		t.Errorf("postgres's data is not on a named volume: %v", pg.Volumes)
	}

	// nginx.conf's upstreams are the instances, on the port they listen on.
	var want []string
	for _, name := range instances {
		port := ":8080" // the image's BOXOFFICE_ADDR
		if a := c.Services[name].Environment["BOXOFFICE_ADDR"]; a != "" {
			port = a[strings.LastIndex(a, ":"):]
		}
		want = append(want, name+port)
	}
	if got := nginxUpstreams(t); !slices.Equal(got, want) {
		t.Errorf("nginx.conf's upstream servers are %v; compose.yaml's instances are %v", got, want)
	}
}

// nodeText is every scalar in n, for a list or a map of network names.
func nodeText(n yaml.Node) string {
	var b strings.Builder
	for _, c := range n.Content {
		b.WriteString(c.Value + " " + nodeText(*c))
	}
	return b.String()
}

type k8sObject struct {
	Kind     string
	Metadata struct {
		Name        string
		Annotations map[string]string
	}
	Spec struct {
		Template struct {
			Spec struct {
				Grace      int `yaml:"terminationGracePeriodSeconds"`
				Containers []struct {
					Image string
					Env   []struct {
						Name      string
						Value     string
						ValueFrom *struct {
							SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					}
					Readiness *probe `yaml:"readinessProbe"`
					Liveness  *probe `yaml:"livenessProbe"`
				}
			}
		}
	}
}

type probe struct {
	HTTPGet struct{ Path string } `yaml:"httpGet"`
}

// The Kubernetes example: readiness on /readyz, liveness on /healthz, a
// shutdown delay and a grace period above delay plus timeout, trusted
// proxies set, secrets from a Secret; the Ingress does not buffer streams.
func TestKubernetesExample(t *testing.T) {
	data, err := os.ReadFile("kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubernetes.yaml: %v", err)
		}
		objects[o.Kind] = o
	}
	for _, kind := range []string{"Deployment", "Service", "Ingress", "NetworkPolicy"} {
		if _, ok := objects[kind]; !ok {
			t.Errorf("kubernetes.yaml has no %s", kind)
		}
	}
	spec := objects["Deployment"].Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers; want boxoffice alone", len(spec.Containers))
	}
	c := spec.Containers[0]
	if path.Base(c.Image) != "boxoffice:latest" {
		t.Errorf("the image is %q; want the one deploy/build-image tags", c.Image)
	}
	if c.Readiness == nil || c.Readiness.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v; want GET /readyz", c.Readiness)
	}
	if c.Liveness == nil || c.Liveness.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v; want GET /healthz", c.Liveness)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Key
		default:
			env[e.Name] = e.Value
		}
	}
	for _, secret := range []string{"BOXOFFICE_DB", "BOXOFFICE_ADMIN_TOKEN"} {
		if !strings.HasPrefix(env[secret], "secret:") {
			t.Errorf("%s is %q; want it from a Secret", secret, env[secret])
		}
	}
	for _, p := range strings.Split(env["BOXOFFICE_TRUSTED_PROXIES"], ",") {
		if _, err := netip.ParsePrefix(p); err != nil {
			t.Errorf("BOXOFFICE_TRUSTED_PROXIES %q: want the pod network's CIDR (%v)", env["BOXOFFICE_TRUSTED_PROXIES"], err)
		}
	}
	delay, err1 := time.ParseDuration(env["BOXOFFICE_SHUTDOWN_DELAY"])
	timeout, err2 := time.ParseDuration(env["BOXOFFICE_SHUTDOWN_TIMEOUT"])
	if err1 != nil || err2 != nil || delay <= 0 {
		t.Errorf("shutdown delay %q and timeout %q: want both set, the delay above 0", env["BOXOFFICE_SHUTDOWN_DELAY"], env["BOXOFFICE_SHUTDOWN_TIMEOUT"])
	}
	if grace := time.Duration(spec.Grace) * time.Second; grace <= delay+timeout {
		t.Errorf("terminationGracePeriodSeconds %d; want above the shutdown delay plus timeout (%v)", spec.Grace, delay+timeout)
	}
	ann := objects["Ingress"].Metadata.Annotations
	if ann["nginx.ingress.kubernetes.io/proxy-buffering"] != "off" {
		t.Error("the Ingress buffers responses: event streams would stall")
	}
	// Seconds; a minute or more leaves the 15 s heartbeat room.
	if n, err := strconv.Atoi(ann["nginx.ingress.kubernetes.io/proxy-read-timeout"]); err != nil || n < 60 {
		t.Errorf("the Ingress's proxy-read-timeout %q: want well above the 15 s heartbeat", ann["nginx.ingress.kubernetes.io/proxy-read-timeout"])
	}
}
