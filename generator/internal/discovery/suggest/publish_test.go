package suggest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/analyze"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// TestPublish proposes a run to a real forge (Gitea): the report, the
// scaffold and the re-rendered files land on branch discovery/<date>, one
// pull request is opened, and the report comment is created once; a
// re-run leaves it alone.
func TestPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Gitea")
	}
	g := testenv.StartGitea(t)
	api := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, g.APIURL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "token "+g.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, b := api("POST", "user/repos", `{"name":"lab","auto_init":true,"default_branch":"main"}`); st != 201 {
		t.Fatalf("create repository: %d %s", st, b)
	}
	root := t.TempDir()
	scaffold := "phases/discovered-beyla.cue"
	os.MkdirAll(filepath.Join(root, "phases"), 0o755)
	os.WriteFile(filepath.Join(root, scaffold), []byte("package phases\n"), 0o644)

	lab := &model.Lab{Phases: map[string]*model.Phase{"observability": {Name: "observability", Number: 3}}}
	a := &analyze.Analysis{Lab: lab, Config: &model.Discovery{}, Counts: map[string]int{"P1": 1},
		Candidates: []*analyze.Candidate{{Project: sources.Project{Name: "grafana/beyla"}, Priority: "P1", Category: analyze.New, Phase: "observability", Slug: "beyla"}}}
	out := &Outcome{Analysis: a, Report: "docs/discovery/2026-11-23.md", Markdown: "# Tech discovery: 2026-11-23\n\nfirst\n",
		Scaffolds: []string{scaffold}, Rendered: map[string][]byte{"apps/observability/beyla/namespaces.yaml": []byte("kind: Namespace\n")}}
	o := PublishOptions{RemoteURL: g.URL + g.User + "/lab.git", Username: g.User, Token: g.Token, APIURL: g.APIURL, Repo: g.User + "/lab", Base: "main"}
	ctx := context.Background()

	msg, err := Publish(ctx, root, out, "2026-11-23", o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "pull request #1 ") || !strings.HasSuffix(msg, "(report comment created)") {
		t.Errorf("first: %s", msg)
	}
	for _, f := range []string{out.Report, scaffold, "apps/observability/beyla/namespaces.yaml"} {
		if st, b := api("GET", fmt.Sprintf("repos/%s/lab/raw/%s?ref=discovery/2026-11-23", g.User, f), ""); st != 200 {
			t.Errorf("%s on the branch: %d %s", f, st, b)
		}
	}
	// Same run again: nothing changes, the comment stays one.
	if msg, err = Publish(ctx, root, out, "2026-11-23", o); err != nil || !strings.HasSuffix(msg, "(report comment unchanged)") {
		t.Errorf("again: %s %v", msg, err)
	}
	// A different report for the same date: the publish path keeps pushed
	// files append-only, so it is refused rather than rewritten.
	out.Markdown = "# Tech discovery: 2026-11-23\n\nsecond\n"
	if _, err = Publish(ctx, root, out, "2026-11-23", o); err == nil || !strings.Contains(err.Error(), "docs/discovery/2026-11-23.md on branch discovery/2026-11-23 differs") {
		t.Errorf("rewrite: %v", err)
	}
	st, b := api("GET", "repos/"+g.User+"/lab/issues/1/comments", "")
	var cs []struct{ Body string }
	if err := json.Unmarshal(b, &cs); st != 200 || err != nil {
		t.Fatalf("comments: %d %v", st, err)
	}
	n := 0
	for _, c := range cs {
		if strings.Contains(c.Body, Marker) {
			n++
			if !strings.Contains(c.Body, "first") {
				t.Errorf("comment: %q", c.Body)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d report comments, want 1", n)
	}
	st, b = api("GET", "repos/"+g.User+"/lab/pulls?state=open", "")
	if st != 200 || strings.Count(string(b), `"number":`) != 1 || !strings.Contains(string(b), "Tech discovery 2026-11-23: 0 P0, 1 P1, 1 new experiment scaffold(s)") {
		t.Errorf("pulls: %d %s", st, b)
	}

	if _, err := Publish(ctx, root, out, "2026-11-23", PublishOptions{RemoteURL: o.RemoteURL, Base: "main"}); err == nil || !strings.Contains(err.Error(), "needs GITHUB_TOKEN") {
		t.Errorf("no token: %v", err)
	}
}
