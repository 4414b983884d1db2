package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// HTTPOptions make the client polite and bounded.
type HTTPOptions struct {
	// Timeout bounds one attempt, body included.
	Timeout time.Duration
	// MaxBytes bounds a response body; a larger one is an error.
	MaxBytes int64
	// Retries after the first attempt (transport errors, 429, 5xx).
	Retries int
	// RequestsPerSecond per host (burst 1).
	RequestsPerSecond float64
	// Backoff is the first retry delay, doubled each retry, capped at 10s
	// (default 500ms).
	Backoff time.Duration
	// Base is the underlying transport (default http.DefaultTransport).
	Base http.RoundTripper
	// Cache keeps responses for conditional requests; nil: none.
	Cache *Cache
	// Offline serves only cached responses and never touches the network.
	Offline bool
	Now     func() time.Time
	// UserAgent identifies the lab to the servers it reads.
	UserAgent string
}

// Stats count what the client did.
type Stats struct {
	Requests    int64 // attempts sent on the network
	NotModified int64 // 304 answers served from the cache
	Fresh       int64 // answers served from the cache without a request
	Retries     int64
	Bytes       int64 // body bytes received
}

// Client is the HTTP client every source uses: per-host rate limit,
// bounded retries with backoff, conditional requests against the on-disk
// cache, a body size limit, and no redirect to another host.
type Client struct {
	HTTP *http.Client
	opts HTTPOptions

	mu       sync.Mutex
	limiters map[string]*rate.Limiter

	requests, notModified, fresh, retries, bytes atomic.Int64
}

// maxAgeKey carries, per request, how old a cached answer may be to be
// used without asking (a source's schedule).
type maxAgeKey struct{}

// WithMaxAge lets requests made with ctx reuse cached answers younger than d.
func WithMaxAge(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxAgeKey{}, d)
}

// FetchedHeader is set on every answer to the time its body was fetched
// from the origin (RFC 3339), cached or not.
const FetchedHeader = "X-Discover-Fetched"

// NewClient builds the client.
func NewClient(o HTTPOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 32 << 20
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 2
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.Base == nil {
		o.Base = http.DefaultTransport
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "illm-lab-discover/1 (+https://github.com/illm-k8s-ai-lab/illm-k8s-ai-lab)"
	}
	c := &Client{opts: o, limiters: map[string]*rate.Limiter{}}
	c.HTTP = &http.Client{Transport: c, CheckRedirect: sameHost}
	return c
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), NotModified: c.notModified.Load(), Fresh: c.fresh.Load(), Retries: c.retries.Load(), Bytes: c.bytes.Load()}
}

// sameHost refuses a redirect to another host or from https to http: a
// source answers for itself.
func sameHost(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Host != first.Host {
		return fmt.Errorf("redirect from %s to another host (%s) refused", first.Host, req.URL.Host)
	}
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
	}
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	return nil
}

// ErrTooLarge means a body exceeded MaxBytes.
var ErrTooLarge = errors.New("response body too large")

// Get fetches u and returns its body (status 200 only).
func (c *Client) Get(ctx context.Context, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %s", redactURL(u), resp.Status, snippet(b))
	}
	return b, resp.Header, nil
}

// RoundTrip implements http.RoundTripper. The body of the answer is read
// whole (bounded) before it returns, so each attempt's timeout covers it.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.URL.String()
	var cached *entry
	if req.Method == http.MethodGet {
		var err error
		if cached, err = c.opts.Cache.get(key); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	if cached != nil {
		maxAge, _ := req.Context().Value(maxAgeKey{}).(time.Duration)
		if c.opts.Offline || (maxAge > 0 && c.opts.Now().Sub(cached.Fetched) < maxAge) {
			c.fresh.Add(1)
			return cached.response(req), nil
		}
	}
	if c.opts.Offline {
		return nil, errors.New("offline and not in the cache")
	}
	var last error
	delay := c.opts.Backoff
	attempts := 0
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		attempts++
		if attempt > 0 {
			c.retries.Add(1)
			if err := sleep(req.Context(), delay); err != nil {
				return nil, err
			}
			delay = min(delay*2, 10*time.Second)
		}
		resp, retry, err := c.attempt(req, cached)
		if err == nil && !retry {
			return resp, nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("%s %s: %s", req.Method, redactURL(key), resp.Status)
			if ra := retryAfter(resp.Header.Get("Retry-After")); ra > delay {
				delay = min(ra, 10*time.Second)
			}
			if attempt == c.opts.Retries {
				return resp, nil // the caller sees the last status
			}
		}
		if req.Context().Err() != nil || !retry {
			break
		}
	}
	if attempts > 1 {
		return nil, fmt.Errorf("%w (after %d attempts)", last, attempts)
	}
	return nil, last
}

// attempt sends one request. retry tells whether another attempt may help.
func (c *Client) attempt(req *http.Request, cached *entry) (resp *http.Response, retry bool, err error) {
	if err := c.limiter(req.URL.Host).Wait(req.Context()); err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), c.opts.Timeout)
	defer cancel()
	r := req.Clone(ctx)
	if req.Body != nil && req.GetBody != nil {
		// A retried request sends its body again.
		if r.Body, err = req.GetBody(); err != nil {
			return nil, false, err
		}
	}
	if r.Header.Get("User-Agent") == "" || req.Method == http.MethodGet {
		r.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if cached != nil {
		if cached.ETag != "" {
			r.Header.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			r.Header.Set("If-Modified-Since", cached.LastModified)
		}
	}
	c.requests.Add(1)
	resp, err = c.opts.Base.RoundTrip(r)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, false, req.Context().Err()
		}
		if ctx.Err() != nil {
			return nil, true, fmt.Errorf("no answer within %s", c.opts.Timeout)
		}
		return nil, true, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	c.bytes.Add(int64(len(body)))
	if err != nil {
		if ctx.Err() != nil && req.Context().Err() == nil {
			return nil, true, fmt.Errorf("body not read within %s", c.opts.Timeout)
		}
		return nil, true, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return nil, false, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.opts.MaxBytes)
	}
	now := c.opts.Now().UTC()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		c.notModified.Add(1)
		cached.Fetched = now
		if err := c.opts.Cache.put(cached); err != nil {
			return nil, false, fmt.Errorf("cache: %w", err)
		}
		return cached.response(req), false, nil
	case resp.StatusCode == http.StatusOK && req.Method == http.MethodGet:
		e := &entry{URL: req.URL.String(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
			ContentType: resp.Header.Get("Content-Type"), Link: resp.Header.Get("Link"), Fetched: now, Body: body}
		if e.ETag != "" || e.LastModified != "" || c.opts.Cache != nil {
			if err := c.opts.Cache.put(e); err != nil {
				return nil, false, fmt.Errorf("cache: %w", err)
			}
		}
	}
	resp.Header.Set(FetchedHeader, now.Format(time.RFC3339))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return resp, retry, nil
}

func (e *entry) response(req *http.Request) *http.Response {
	h := http.Header{}
	if e.ContentType != "" {
		h.Set("Content-Type", e.ContentType)
	}
	if e.Link != "" {
		h.Set("Link", e.Link)
	}
	if e.ETag != "" {
		h.Set("ETag", e.ETag)
	}
	h.Set(FetchedHeader, e.Fetched.UTC().Format(time.RFC3339))
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.Body)), ContentLength: int64(len(e.Body)), Request: req,
	}
}

func (c *Client) limiter(host string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(c.opts.RequestsPerSecond), 1)
		c.limiters[host] = l
	}
	return l
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// redactURL drops credentials and the query (which may hold a key) from
// a URL for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	p.User = nil
	if p.RawQuery != "" {
		p.RawQuery = "…"
	}
	return p.String()
}

// snippet is the start of a body for an error message, printable only.
func snippet(b []byte) string {
	const n = 120
	out := make([]rune, 0, n)
	for _, r := range string(b) {
		if len(out) >= n {
			out = append(out, '…')
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		out = append(out, r)
	}
	return strings.TrimSpace(string(out))
}
