package sources_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/replay"
)

func newClient(t *testing.T, srv *replay.Server, o sources.HTTPOptions) *sources.Client {
	t.Helper()
	o.Base = srv.Client().Transport
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 10 * time.Millisecond
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = 1000
	}
	return sources.NewClient(o)
}

// TestClientHostile: each misbehaviour a source can show ends in a
// bounded, clear error, quickly.
func TestClientHostile(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	tests := []struct {
		name, path string
		o          sources.HTTPOptions
		want       string
		wantErr    error
		maxTime    time.Duration
	}{
		{name: "huge body", path: "/bad/huge", o: sources.HTTPOptions{MaxBytes: 1 << 20}, want: "more than 1048576 bytes", wantErr: sources.ErrTooLarge, maxTime: 5 * time.Second},
		{name: "redirect to another host", path: "/bad/redirect", want: "redirect from 127.0.0.1:", maxTime: 2 * time.Second},
		{name: "slow answer", path: "/bad/slow", o: sources.HTTPOptions{Timeout: 150 * time.Millisecond, Retries: 1}, want: "no answer within 150ms", maxTime: 2 * time.Second},
		{name: "server errors", path: "/bad/down", o: sources.HTTPOptions{Retries: 2}, want: "503 Service Unavailable", maxTime: 2 * time.Second},
		{name: "not found", path: "/nowhere", want: "404 Not Found: {\"message\":\"Not Found\"", maxTime: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, tc.o)
			start := time.Now()
			_, _, err := c.Get(context.Background(), srv.URL+tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v is not %v", err, tc.wantErr)
			}
			if d := time.Since(start); d > tc.maxTime {
				t.Errorf("took %s, want under %s", d, tc.maxTime)
			}
		})
	}
}

func TestClientRetriesThenSucceeds(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	c := newClient(t, srv, sources.HTTPOptions{Retries: 2})
	b, _, err := c.Get(context.Background(), srv.URL+"/bad/flaky")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<feed") {
		t.Errorf("body: %.60q", b)
	}
	if s := c.Stats(); s.Requests != 3 || s.Retries != 2 {
		t.Errorf("stats %+v, want 3 requests, 2 retries", s)
	}
}

// TestClientConditional: a cached answer with an ETag is revalidated
// with If-None-Match (304 serves the cached body), and within the max age
// it is used without a request at all.
func TestClientConditional(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	cache := &sources.Cache{Dir: t.TempDir()}
	get := func(at time.Time, maxAge time.Duration) ([]byte, sources.Stats) {
		c := newClient(t, srv, sources.HTTPOptions{Cache: cache, Now: func() time.Time { return at }})
		b, h, err := c.Get(sources.WithMaxAge(context.Background(), maxAge), srv.URL+"/landscape/landscape.yml")
		if err != nil {
			t.Fatal(err)
		}
		if c.Stats().Requests > 0 && h.Get(sources.FetchedHeader) != at.Format(time.RFC3339) {
			t.Errorf("fetched %q, want %s", h.Get(sources.FetchedHeader), at)
		}
		return b, c.Stats()
	}
	first, s := get(now, 0)
	if s.Requests != 1 || s.NotModified != 0 {
		t.Fatalf("first: %+v", s)
	}
	second, s := get(now.Add(48*time.Hour), 0)
	if s.Requests != 1 || s.NotModified != 1 || string(second) != string(first) {
		t.Fatalf("second: %+v", s)
	}
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].Header.Get("If-None-Match"); got != `"ls-9f2c"` {
		t.Errorf("If-None-Match %q", got)
	}
	if got := reqs[len(reqs)-1].Header.Get("If-Modified-Since"); got != "Fri, 20 Nov 2026 08:00:00 GMT" {
		t.Errorf("If-Modified-Since %q", got)
	}
	n := len(reqs)
	_, s = get(now.Add(72*time.Hour), 7*24*time.Hour)
	if s.Requests != 0 || s.Fresh != 1 || len(srv.Requests()) != n {
		t.Errorf("fresh: %+v, %d requests", s, len(srv.Requests())-n)
	}
	// Offline: the cache only.
	c := newClient(t, srv, sources.HTTPOptions{Cache: cache, Offline: true})
	if _, _, err := c.Get(context.Background(), srv.URL+"/feeds/cncf.xml"); err == nil || !strings.Contains(err.Error(), "offline and not in the cache") {
		t.Errorf("offline miss: %v", err)
	}
}

func TestClientRateLimit(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	c := newClient(t, srv, sources.HTTPOptions{RequestsPerSecond: 20})
	start := time.Now()
	for i := 0; i < 5; i++ {
		if _, _, err := c.Get(context.Background(), srv.URL+"/feeds/cncf.xml"); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 1 at 20/s: 4 waits of 50ms.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 requests at 20/s took %s", d)
	}
	if ua := srv.Requests()[0].Header.Get("User-Agent"); !strings.HasPrefix(ua, "illm-lab-discover/") {
		t.Errorf("User-Agent %q", ua)
	}
	_ = http.StatusOK
}
