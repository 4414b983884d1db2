package sources_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/replay"
)

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/replay/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseLandscape(t *testing.T) {
	ps, err := sources.ParseLandscape(read(t, "landscape/landscape.yml"), "ls", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name+"/"+p.Maturity+"/"+p.Repo)
	}
	// Items without a maturity (Grafana, Kueue) are products, left out.
	want := "Prometheus/graduated/prometheus/prometheus,Pixie/sandbox/pixie-io/pixie,Kepler/sandbox/sustainable-computing-io/kepler,OpenTracing/archived/opentracing/specification,Cilium/graduated/cilium/cilium,Evil <script>alert(1)</script> [x](javascript:alert(1))/sandbox/,KEDA/graduated/kedacore/keda"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if ps[0].Category != "Observability and Analysis" || ps[0].Subcategory != "Observability" || ps[0].URL != "https://prometheus.io/" {
		t.Errorf("prometheus: %+v", ps[0])
	}
	if ps[5].URL != "" {
		t.Errorf("a javascript: URL was kept: %q", ps[5].URL)
	}
	if ps, _ := sources.ParseLandscape(read(t, "landscape/landscape.yml"), "ls", 1, 2); len(ps) != 2 {
		t.Errorf("limit 2: %d", len(ps))
	}
	for _, bad := range []string{"landscape/malformed.yml", "feeds/cncf-rss.xml"} {
		if _, err := sources.ParseLandscape(read(t, bad), "ls", 1, 10); err == nil || !strings.HasPrefix(err.Error(), "landscape.yml: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestParseFeeds(t *testing.T) {
	src := sources.Source{Name: "blog", Weight: 0.5, Limit: 10}
	rss, err := sources.ParseFeed(read(t, "feeds/cncf-rss.xml"), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 4 || rss[0].Title != "How we cut our observability bill with Beyla and Vector" || rss[0].Published.Format(time.DateOnly) != "2026-11-20" {
		t.Fatalf("rss: %+v", rss)
	}
	evil := rss[2]
	if strings.Contains(evil.Title, "<img") || strings.Contains(evil.Summary, "alert(\"x\")") || evil.URL != "" {
		t.Errorf("hostile entry kept markup or a javascript: link: %+v", evil)
	}
	if evil.Summary != "Tetragon & friends" {
		t.Errorf("summary %q", evil.Summary)
	}
	atom, err := sources.ParseFeed(read(t, "feeds/kubernetes-atom.xml"), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(atom) != 2 || atom[0].URL != "https://kubernetes.io/blog/2026/11/19/kubelet-native-histograms/" || atom[0].Summary != "The kubelet now exposes native histograms." {
		t.Errorf("atom: %+v", atom)
	}
	if _, err := sources.ParseFeed(read(t, "feeds/malformed.xml"), src); err == nil || !strings.HasPrefix(err.Error(), "feed: ") {
		t.Errorf("malformed: %v", err)
	}
}

func TestParseHN(t *testing.T) {
	src := sources.Source{Name: "hn", Weight: 1, Limit: 10, MinPoints: 50}
	ms, err := sources.ParseHN(read(t, "hn/search-kubernetes.json"), src)
	if err != nil {
		t.Fatal(err)
	}
	// The 12-point story is under minPoints; the Ask HN has no url.
	if len(ms) != 3 || ms[0].Points != 412 || ms[2].URL != "https://news.ycombinator.com/item?id=46000888" {
		t.Errorf("%+v", ms)
	}
	if _, err := sources.ParseHN(read(t, "hn/not-search.json"), src); err == nil || !strings.Contains(err.Error(), "not a search answer") {
		t.Errorf("error answer: %v", err)
	}
	if u := sources.HNURL(sources.Source{URL: "https://hn.example.test/api/v1/search", Query: "ebpf", MinPoints: 50, Limit: 30}); u != "https://hn.example.test/api/v1/search?hitsPerPage=30&numericFilters=points%3E%3D50&query=ebpf&tags=story" {
		t.Errorf("HNURL %s", u)
	}
}

// TestGitHub reads repositories by topic through go-github against the
// recorded answers: stars, contributors and commits from the last page
// of one-item pages, the latest release, and growth against the previous
// snapshot.
func TestGitHub(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	c := newClient(t, srv, sources.HTTPOptions{Now: func() time.Time { return now }})
	snap := sources.Snapshot{"grafana/beyla": {Cur: 6212, CurAt: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}}
	g := &sources.GitHub{Source: sources.Source{Name: "gh", URL: srv.URL + "/github", Topics: []string{"observability", "ebpf"}, MinStars: 1000, Limit: 10, Weight: 1}, HTTP: c.HTTP, Now: now, Snap: snap, Token: "t0ken"}
	ps, warns, err := g.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Repo)
	}
	if strings.Join(got, ",") != "prometheus/prometheus,vectordotdev/vector,grafana/beyla,pixie-io/pixie,cilium/tetragon,someone/awesome-ebpf-list" {
		t.Errorf("order: %v", got)
	}
	b := ps[2]
	if b.Stars != 6812 || b.Contributors != 212 || b.Commits30d != 164 || b.LatestRelease != "v2.7.3" || !b.HasPrev || b.PrevStars != 6212 || b.PrevDays != 7 {
		t.Errorf("beyla: %+v", b)
	}
	if a := ps[5]; a.Commits30d != 0 || a.Contributors != 9 || a.LatestRelease != "" {
		t.Errorf("awesome list: %+v", a)
	}
	if auth := srv.Requests()[0].Header.Get("Authorization"); auth != "Bearer t0ken" {
		t.Errorf("Authorization %q", auth)
	}
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/commits") && !strings.Contains(r.Query, "since=2026-10-24T00%3A00%3A00Z") {
			t.Errorf("commits query %s", r.Query)
		}
	}
}

func TestCheckSources(t *testing.T) {
	err := sources.CheckSources(map[string]*sources.Source{
		"gh":  {Kind: "github"},
		"hn":  {Kind: "hackernews"},
		"rss": {Kind: "feed", Topics: []string{"x"}},
		"ok":  {Kind: "github", Topics: []string{"ebpf"}},
	})
	want := "discovery.sources.gh: a github source needs topics\ndiscovery.sources.hn: a hackernews source needs a query\ndiscovery.sources.rss: topics are for github sources"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestGitHubRateLimited: when GitHub's rate limit runs out while reading
// details, the repositories found are kept, bare, and the run says why.
func TestGitHubRateLimited(t *testing.T) {
	dir := t.TempDir()
	search := `{"total_count":2,"incomplete_results":false,"items":[` +
		`{"id":1,"name":"one","full_name":"acme/one","html_url":"https://github.com/acme/one","stargazers_count":5000,"topics":["ebpf"]},` +
		`{"id":2,"name":"two","full_name":"acme/two","html_url":"https://github.com/acme/two","stargazers_count":3000,"topics":["ebpf"]}]}`
	limited := `{"message":"API rate limit exceeded for 203.0.113.7. (But here's the good news: Authenticated requests get a higher rate limit.)","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`
	routes := `[{"path":"/search/repositories","file":"search.json","headers":{"Content-Type":"application/json"}},
	{"path":"/repos/acme/one/contributors","status":403,"file":"limited.json","headers":{"Content-Type":"application/json","X-RateLimit-Limit":"60","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"1795000000","X-RateLimit-Used":"60","X-RateLimit-Resource":"core"}}]`
	for f, b := range map[string]string{"search.json": search, "limited.json": limited, "routes.json": routes} {
		if err := os.WriteFile(dir+"/"+f, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := replay.Start(dir)
	defer srv.Close()
	c := newClient(t, srv, sources.HTTPOptions{})
	g := &sources.GitHub{Source: sources.Source{Name: "gh", URL: srv.URL, Topics: []string{"ebpf"}, MinStars: 1000, Limit: 10, Weight: 1}, HTTP: c.HTTP, Now: time.Now()}
	ps, warns, err := g.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Repo != "acme/one" || ps[1].Repo != "acme/two" || ps[1].Stars != 3000 || ps[1].Contributors != -1 {
		t.Errorf("projects: %+v", ps)
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "acme/one: contributors: ") || !strings.Contains(warns[0], "API rate limit") || warns[1] != "rate limited: details of the remaining repositories skipped" {
		t.Errorf("warnings: %q", warns)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests after the limit, want 2 in all", n)
	}
}

// TestRunKeepsTokenHome: the GitHub token is not sent to a github source
// on another host than api.github.com; one source failing does not stop
// the others.
func TestRunKeepsTokenHome(t *testing.T) {
	srv := replay.Start("testdata/replay")
	defer srv.Close()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	c := newClient(t, srv, sources.HTTPOptions{Now: func() time.Time { return now }})
	srcs := map[string]*sources.Source{
		"gh":   {Name: "gh", Kind: "github", URL: srv.URL + "/github/", Topics: []string{"ebpf"}, MinStars: 1000, Limit: 2, Weight: 1},
		"bad":  {Name: "bad", Kind: "feed", URL: srv.URL + "/bad/feed.xml", Limit: 5},
		"blog": {Name: "blog", Kind: "feed", URL: srv.URL + "/feeds/cncf.xml", Limit: 5, Weight: 1},
	}
	res, snap, err := sources.Run(context.Background(), srcs, sources.Options{Client: c, Cache: &sources.Cache{Dir: t.TempDir()}, GitHubToken: "ghp_secret", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("%s sent Authorization", r.Path)
		}
	}
	if strings.Join(res.Read, ",") != "blog,gh" || len(res.Failures) != 1 || res.Failures[0].Source != "bad" || len(res.Projects) != 2 || len(res.Mentions) != 4 {
		t.Errorf("read %v, failures %+v, %d projects, %d mentions", res.Read, res.Failures, len(res.Projects), len(res.Mentions))
	}
	if len(snap) != 2 || snap["grafana/beyla"].Cur != 6812 {
		t.Errorf("snapshot %+v", snap)
	}
}
