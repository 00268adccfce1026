package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// spec is the OpenAPI document as the server serves it, with a validator.
type spec struct {
	raw   []byte
	model *v3.Document
	v     validator.Validator
	// covered is every "METHOD path status" validated against the
	// document, to find documented answers no test produced.
	covered map[string]bool
}

// servedSpec fetches GET /api/openapi.json from e and builds its validator.
// Strict mode also fails a body member or a response header the document
// does not declare, so an answer cannot grow without the document; the
// headers every response carries are described once, in info.
func servedSpec(t *testing.T, e *env) *spec {
	t.Helper()
	r := e.guest().do("GET", "/api/openapi.json", "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d %s", r.status, r.body)
	}
	doc, err := libopenapi.NewDocument(r.body)
	if err != nil {
		t.Fatalf("the document does not parse: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("the document is OpenAPI %q, want 3.1", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("the document does not build: %v", err)
	}
	v, errs := validator.NewValidator(doc, config.WithStrictMode(), config.WithStrictIgnoredHeadersExtra(
		"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Strict-Transport-Security",
		"Content-Encoding", "Sec-Fetch-Site", "Range", "If-Match", "Accept-Ranges", "Content-Range",
		"X-Accel-Buffering"),
		// Browsers send the guest cookie everywhere; the routes that act for
		// a guest declare it.
		config.WithStrictIgnorePaths("$.cookies.*"))
	if len(errs) > 0 {
		t.Fatalf("no validator for the document: %v", errs)
	}
	return &spec{raw: r.body, model: &m.Model, v: v, covered: map[string]bool{}}
}

func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\t%s at %s", f.Reason, f.FieldPath)
		}
	}
	return b.String()
}

// The document is OpenAPI 3.1 and valid against the specification's schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	e := newEnv(t, testLayout)
	s := servedSpec(t, e)
	if ok, errs := s.v.ValidateDocument(); !ok {
		t.Fatalf("the document is not valid OpenAPI:%s", describe(errs))
	}
}

// The document is served as JSON, with an ETag that a client revalidates
// against: it changes only with the binary.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	r := g.do("GET", "/api/openapi.json", "", "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("Cache-Control %q: a client should revalidate, since an upgrade changes the document", cc)
	}
	if len(r.header.Values("Set-Cookie")) > 0 {
		t.Errorf("a cacheable document sets a cookie: %q", r.header.Values("Set-Cookie"))
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if again := g.do("GET", "/api/openapi.json", "", "", "If-None-Match", etag); again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("If-None-Match the ETag: %d with %d bytes, want 304 and none", again.status, len(again.body))
	}
	if other := g.do("GET", "/api/openapi.json", "", "", "If-None-Match", `"other"`); other.status != http.StatusOK {
		t.Errorf("If-None-Match another ETag: %d, want 200", other.status)
	}
}

// routePatterns reads the patterns that routes.go registers on the mux.
func routePatterns(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("a route's pattern is not a string literal: the test cannot check it is documented")
			return true
		}
		p, _ := strconv.Unquote(lit.Value)
		patterns = append(patterns, p)
		return true
	})
	if len(patterns) == 0 {
		t.Fatal("found no routes in routes.go")
	}
	return patterns
}

// Every route routes.go registers is in the document, and every operation
// of the document is a route, so a route added, moved or removed without
// the document fails here. A GET route also answers HEAD; the document
// names HEAD where a client has a use for it.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, testLayout)
	s := servedSpec(t, e)
	routes := map[string]bool{}
	for _, p := range routePatterns(t) {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("route %q has no method: a method-less pattern swallows the mux's 405", p)
			continue
		}
		routes[method+" "+strings.TrimSuffix(path, "{$}")] = true
	}
	documented := map[string]bool{}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in the document", r)
		}
	}
	for d := range documented {
		get := strings.Replace(d, "HEAD ", "GET ", 1)
		if !routes[d] && !routes[get] {
			t.Errorf("the document has %s, which no route serves", d)
		}
	}
}

// exchange is one request and its answer, to validate.
type exchange struct {
	req  *http.Request
	body []byte // the request's body, which sending consumed
	resp *http.Response
	// respBody is the body read; for an event stream, its first event.
	respBody []byte
}

// validate checks an exchange against the document: the response always
// (its status must be documented for the operation, its headers and body
// must match), the request when wantValid says what the document should
// think of it (nil: not checked, e.g. a body cut short on purpose).
func (s *spec) validate(t *testing.T, name string, x exchange, wantValid *bool) {
	t.Helper()
	if wantValid != nil {
		req := x.req.Clone(x.req.Context())
		req.Body = io.NopCloser(bytes.NewReader(x.body))
		ok, errs := s.v.ValidateHttpRequestSync(req)
		switch {
		case *wantValid && !ok:
			t.Errorf("%s: the document refuses the request:%s", name, describe(errs))
		case !*wantValid && ok:
			t.Errorf("%s: the server refused the request (%d) but the document allows it", name, x.resp.StatusCode)
		}
	}
	resp := *x.resp
	resp.Body = io.NopCloser(bytes.NewReader(x.respBody))
	req := x.req.Clone(x.req.Context())
	req.Body = io.NopCloser(bytes.NewReader(x.body))
	if ok, errs := s.v.ValidateHttpResponse(req, &resp); !ok {
		t.Errorf("%s: the response (%d %s) does not match the document:%s\n\tbody: %.300s", name,
			x.resp.StatusCode, x.resp.Header.Get("Content-Type"), describe(errs), x.respBody)
	}
	if path := s.template(x.req); path != "" {
		s.covered[fmt.Sprintf("%s %s %d", x.req.Method, path, x.resp.StatusCode)] = true
	}
}

// template finds the document's path that matches r's.
func (s *spec) template(r *http.Request) string {
	got := strings.Split(r.URL.Path, "/")
	for path := range s.model.Paths.PathItems.KeysFromOldest() {
		want := strings.Split(path, "/")
		if len(want) != len(got) {
			continue
		}
		match := true
		for i := range want {
			if !strings.HasPrefix(want[i], "{") && want[i] != got[i] {
				match = false
				break
			}
		}
		if match {
			return path
		}
	}
	return ""
}

// validateComponent checks an answer the mux gives by itself (a path or a
// method the document has no operation for) against a documented response
// of components, e.g. Api405.
func (s *spec) validateComponent(t *testing.T, name string, component string, resp *http.Response, body []byte) {
	t.Helper()
	want := s.model.Components.Responses.GetOrZero(component)
	if want == nil {
		t.Fatalf("%s: the document has no response %s", name, component)
	}
	for h, header := range want.Headers.FromOldest() {
		if header.Required && resp.Header.Get(h) == "" {
			t.Errorf("%s: no %s header, which %s requires", name, h, component)
		}
	}
	ct := resp.Header.Get("Content-Type")
	mt := want.Content.GetOrZero(strings.TrimSpace(strings.Split(ct, ";")[0]))
	if mt == nil {
		t.Errorf("%s: Content-Type %q is not one of %s's", name, ct, component)
		return
	}
	if !strings.Contains(ct, "json") {
		return
	}
	sv := schema_validation.NewSchemaValidator()
	if ok, errs := sv.ValidateSchemaStringWithVersion(mt.Schema.Schema(), string(body), 3.1); !ok {
		t.Errorf("%s: the body does not match %s:%s", name, component, describe(errs))
	}
}

// validateEvent checks an event's data against a schema of components.
func (s *spec) validateEvent(t *testing.T, name, schema, data string) {
	t.Helper()
	sp := s.model.Components.Schemas.GetOrZero(schema)
	if sp == nil {
		t.Fatalf("%s: the document has no schema %s", name, schema)
	}
	sv := schema_validation.NewSchemaValidator()
	if ok, errs := sv.ValidateSchemaStringWithVersion(sp.Schema(), data, 3.1); !ok {
		t.Errorf("%s: the event's data does not match %s:%s\n\tdata: %.300s", name, schema, describe(errs), data)
	}
}

// firstEvent reads an event stream's first event: its name, data and the
// raw lines.
func firstEvent(t *testing.T, body io.Reader) (name, data string, raw []byte) {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	var b bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if line == "" {
			if name != "" {
				return name, data, b.Bytes()
			}
			continue // the reconnection delay alone, before any event
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			name = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
	}
	t.Fatalf("the stream ended before its first event: %v; read %q", sc.Err(), b.Bytes())
	return
}

// uncovered lists the documented answers no exchange produced, less those
// in unproducible.
func (s *spec) uncovered(unproducible []string) []string {
	var missing []string
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			for code := range op.Responses.Codes.KeysFromOldest() {
				k := strings.ToUpper(method) + " " + path + " " + code
				if !s.covered[k] && !slices.Contains(unproducible, k) {
					missing = append(missing, k)
				}
			}
		}
	}
	slices.Sort(missing)
	return missing
}
