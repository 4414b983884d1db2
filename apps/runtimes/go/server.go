package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limits from the contract (apps/runtimes/contract/contract.json).
const (
	computeMaxN  = 100000
	itemIDMax    = 2147483647
	echoMaxBytes = 65536
	queryTimeout = 5 * time.Second
)

// Error bodies are fixed bytes: every runtime must answer byte-identically.
var (
	errMissingN         = []byte(`{"error":"missing query parameter n"}`)
	errInvalidN         = []byte(`{"error":"n must be an integer between 1 and 100000"}`)
	errMissingID        = []byte(`{"error":"missing query parameter id"}`)
	errInvalidID        = []byte(`{"error":"id must be an integer between 1 and 2147483647"}`)
	errItemNotFound     = []byte(`{"error":"item not found"}`)
	errDatabase         = []byte(`{"error":"database unavailable"}`)
	errBodyTooLarge     = []byte(`{"error":"request body too large"}`)
	errInvalidJSON      = []byte(`{"error":"request body is not valid JSON"}`)
	errNotFound         = []byte(`{"error":"not found"}`)
	errMethodNotAllowed = []byte(`{"error":"method not allowed"}`)
	healthBody          = []byte(`{"status":"ok"}`)
	contentTypeJSON     = []string{"application/json"}
	allowGet, allowPost = "GET, HEAD", "POST"
	errNoPool           = errors.New("DATABASE_URL is not set")
)

// document is the fixed /json payload; field order is the wire order.
type document struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Version     string   `json:"version"`
	Active      bool     `json:"active"`
	Score       float64  `json:"score"`
	Tags        []string `json:"tags"`
	Owner       owner    `json:"owner"`
	Metrics     []metric `json:"metrics"`
	Parent      *string  `json:"parent"`
}

type owner struct {
	Team   string `json:"team"`
	Region string `json:"region"`
}

type metric struct {
	Name  string `json:"name"`
	Value int    `json:"value"`
}

func newDocument() document {
	return document{
		ID:          1,
		Name:        "illm-lab",
		Description: "Fixed document for the JSON serialization benchmark",
		Version:     "1.0.0",
		Active:      true,
		Score:       98.25,
		Tags:        []string{"benchmark", "json", "runtime"},
		Owner:       owner{Team: "platform", Region: "eu-west-1"},
		Metrics:     []metric{{Name: "p50_ms", Value: 12}, {Name: "p99_ms", Value: 87}},
	}
}

type item struct {
	ID    int32  `json:"id"`
	Name  string `json:"name"`
	Value int32  `json:"value"`
}

type server struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

func newServer(pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	return &server{pool: pool, log: log}
}

// ServeHTTP routes on the exact path; a switch is all five endpoints need and
// lets 404/405 answer with the contract's JSON bodies.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health":
		if s.allow(w, r, allowGet) {
			write(w, http.StatusOK, healthBody)
		}
	case "/json":
		if s.allow(w, r, allowGet) {
			s.json(w)
		}
	case "/compute":
		if s.allow(w, r, allowGet) {
			s.compute(w, r)
		}
	case "/database":
		if s.allow(w, r, allowGet) {
			s.database(w, r)
		}
	case "/echo":
		if s.allow(w, r, allowPost) {
			s.echo(w, r)
		}
	default:
		write(w, http.StatusNotFound, errNotFound)
	}
}

func (s *server) allow(w http.ResponseWriter, r *http.Request, allowed string) bool {
	ok := r.Method == http.MethodPost
	if allowed == allowGet {
		ok = r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	if !ok {
		w.Header().Set("Allow", allowed)
		write(w, http.StatusMethodNotAllowed, errMethodNotAllowed)
	}
	return ok
}

func (s *server) json(w http.ResponseWriter) {
	body, err := marshal(newDocument())
	if err != nil {
		s.log.Error("marshal /json", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	write(w, http.StatusOK, body)
}

func (s *server) compute(w http.ResponseWriter, r *http.Request) {
	raw, present := firstParam(r.URL.RawQuery, "n")
	if !present {
		write(w, http.StatusBadRequest, errMissingN)
		return
	}
	n, ok := parseBounded(raw, computeMaxN)
	if !ok {
		write(w, http.StatusBadRequest, errInvalidN)
		return
	}
	body, _ := marshal(struct {
		N     int64 `json:"n"`
		Prime int64 `json:"prime"`
	}{n, nthPrime(n)})
	write(w, http.StatusOK, body)
}

func (s *server) database(w http.ResponseWriter, r *http.Request) {
	raw, present := firstParam(r.URL.RawQuery, "id")
	if !present {
		write(w, http.StatusBadRequest, errMissingID)
		return
	}
	id, ok := parseBounded(raw, itemIDMax)
	if !ok {
		write(w, http.StatusBadRequest, errInvalidID)
		return
	}
	it, err := s.item(r.Context(), int32(id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		write(w, http.StatusNotFound, errItemNotFound)
		return
	case err != nil:
		s.log.Warn("database query", "id", id, "err", err)
		write(w, http.StatusServiceUnavailable, errDatabase)
		return
	}
	body, _ := marshal(it)
	write(w, http.StatusOK, body)
}

func (s *server) item(ctx context.Context, id int32) (item, error) {
	var it item
	if s.pool == nil {
		return it, errNoPool
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	err := s.pool.QueryRow(ctx, "SELECT id, name, value FROM items WHERE id = $1", id).Scan(&it.ID, &it.Name, &it.Value)
	return it, err
}

func (s *server) echo(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > echoMaxBytes {
		write(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, echoMaxBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		write(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	case err != nil:
		write(w, http.StatusBadRequest, errInvalidJSON)
		return
	case !json.Valid(body):
		write(w, http.StatusBadRequest, errInvalidJSON)
		return
	}
	write(w, http.StatusOK, body)
}

func write(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// marshal encodes without HTML escaping (which the other runtimes' encoders
// don't do either) and without the encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// firstParam returns the first value of key in a raw query string; it parses
// by hand so that a malformed pair elsewhere doesn't hide the parameter.
func firstParam(rawQuery, key string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(k); err != nil || k != key {
			continue
		}
		v, err := url.QueryUnescape(v)
		if err != nil {
			return "", true
		}
		return v, true
	}
	return "", false
}

// parseBounded accepts the contract's integer syntax: 1 to 10 decimal digits
// without sign or leading zero, in [1, max].
func parseBounded(s string, max int64) (int64, bool) {
	if len(s) == 0 || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= max
}

// nthPrime is the contract's CPU-bound work: trial division by odd divisors.
func nthPrime(n int64) int64 {
	if n == 1 {
		return 2
	}
	count := int64(1)
	for c := int64(3); ; c += 2 {
		prime := true
		for d := int64(3); d*d <= c; d += 2 {
			if c%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
			if count == n {
				return c
			}
		}
	}
}
