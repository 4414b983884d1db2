package sources_test

import (
	"context"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/replay"
)

// BenchmarkRunReplay reads every recorded source (25 requests over TLS
// on loopback, no cache, no rate limit to speak of): the cost of a run
// apart from the politeness waits.
func BenchmarkRunReplay(b *testing.B) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	srcs := map[string]*sources.Source{
		"landscape": {Name: "landscape", Kind: "landscape", URL: srv.URL + "/landscape/landscape.yml", Limit: 500, Weight: 1},
		"gh":        {Name: "gh", Kind: "github", URL: srv.URL + "/github/", Topics: []string{"observability", "ebpf"}, MinStars: 1000, Limit: 10, Weight: 1},
		"rss":       {Name: "rss", Kind: "feed", URL: srv.URL + "/feeds/cncf.xml", Limit: 30, Weight: 1},
		"atom":      {Name: "atom", Kind: "feed", URL: srv.URL + "/feeds/kubernetes.xml", Limit: 30, Weight: 1},
		"hn":        {Name: "hn", Kind: "hackernews", URL: srv.URL + "/hn/api/v1/search", Query: "kubernetes", MinPoints: 50, Limit: 30, Weight: 1},
	}
	b.ReportAllocs()
	for b.Loop() {
		c := sources.NewClient(sources.HTTPOptions{Base: srv.Client().Transport, RequestsPerSecond: 1e6, Now: func() time.Time { return now }})
		res, _, err := sources.Run(context.Background(), srcs, sources.Options{Client: c, Cache: &sources.Cache{}, Now: now})
		if err != nil || len(res.Failures) != 0 || len(res.Projects) != 13 {
			b.Fatalf("%v %+v %d", err, res.Failures, len(res.Projects))
		}
	}
}
