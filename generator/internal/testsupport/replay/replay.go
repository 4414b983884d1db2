// Package replay serves recorded API answers over real HTTPS on
// loopback, for the discovery tests: routes.json maps a method, path and
// query to a status, headers and a body file shaped exactly like the real
// API's. It honours If-None-Match (304), and can misbehave on purpose:
// slow answers, endless bodies, redirects to another host, failures
// before success. Files are read at each request, so a test may change
// them between runs.
package replay

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Route is one recorded answer.
type Route struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]string `json:"query,omitempty"`
	Status int               `json:"status"`
	// Headers may use {{base}} for the server's URL.
	Headers map[string]string `json:"headers,omitempty"`
	File    string            `json:"file,omitempty"`
	// DelayMS sleeps before answering (a slow server).
	DelayMS int `json:"delayMS,omitempty"`
	// EndlessBytes streams that many bytes of filler (a huge page).
	EndlessBytes int64 `json:"endlessBytes,omitempty"`
	// FailFirst answers 503 that many times first.
	FailFirst int `json:"failFirst,omitempty"`
	// RedirectHost answers 302 to the same path on this host name
	// (e.g. "localhost" for a server at 127.0.0.1).
	RedirectHost string `json:"redirectHost,omitempty"`
}

// Request is what the server saw.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	Status              int
}

// Server serves a replay directory.
type Server struct {
	*httptest.Server
	Dir string
	// Extra handles paths under a prefix before the routes (e.g. a fake
	// Messages API under /anthropic/).
	Extra map[string]http.Handler

	mu    sync.Mutex
	seen  []Request
	fails map[int]int
}

// Start serves dir (holding routes.json) over TLS on 127.0.0.1.
func Start(dir string) *Server {
	s := &Server{Dir: dir, fails: map[int]int{}, Extra: map[string]http.Handler{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// CertPEM is the server's certificate, for SSL_CERT_FILE.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

func (s *Server) record(r *http.Request, body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Status: status})
}

func (s *Server) routes() ([]Route, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, "routes.json"))
	if err != nil {
		return nil, err
	}
	var rs []Route
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("routes.json: %w", err)
	}
	return rs, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	for prefix, h := range s.Extra {
		if strings.HasPrefix(r.URL.Path, prefix) {
			s.record(r, body, 0)
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			http.StripPrefix(strings.TrimSuffix(prefix, "/"), h).ServeHTTP(w, r)
			return
		}
	}
	rs, err := s.routes()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for i, rt := range rs {
		if !matches(rt, r) {
			continue
		}
		s.answer(w, r, body, i, rt)
		return
	}
	s.record(r, body, http.StatusNotFound)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
}

func matches(rt Route, r *http.Request) bool {
	m := rt.Method
	if m == "" {
		m = http.MethodGet
	}
	if m != r.Method || rt.Path != r.URL.Path {
		return false
	}
	q := r.URL.Query()
	for k, v := range rt.Query {
		if q.Get(k) != v {
			return false
		}
	}
	return true
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, body []byte, i int, rt Route) {
	if rt.DelayMS > 0 {
		select {
		case <-time.After(time.Duration(rt.DelayMS) * time.Millisecond):
		case <-r.Context().Done():
			s.record(r, body, 0)
			// The client gave up: abort the connection rather than return,
			// which would send an empty 200.
			panic(http.ErrAbortHandler)
		}
	}
	s.mu.Lock()
	fail := s.fails[i] < rt.FailFirst
	if fail {
		s.fails[i]++
	}
	s.mu.Unlock()
	if fail {
		s.record(r, body, http.StatusServiceUnavailable)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if rt.RedirectHost != "" {
		u := *r.URL
		u.Scheme, u.Host = "https", rt.RedirectHost+":"+portOf(s.URL)
		s.record(r, body, http.StatusFound)
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	for k, v := range rt.Headers {
		w.Header().Set(k, strings.ReplaceAll(v, "{{base}}", s.URL))
	}
	if et := rt.Headers["ETag"]; et != "" && r.Header.Get("If-None-Match") == et {
		s.record(r, body, http.StatusNotModified)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	s.record(r, body, status)
	if rt.EndlessBytes > 0 {
		w.WriteHeader(status)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for n := int64(0); n < rt.EndlessBytes; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	}
	var b []byte
	if rt.File != "" {
		var err error
		if b, err = os.ReadFile(filepath.Join(s.Dir, rt.File)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(status)
	w.Write(b)
}

func portOf(u string) string {
	i := strings.LastIndex(u, ":")
	return u[i+1:]
}
