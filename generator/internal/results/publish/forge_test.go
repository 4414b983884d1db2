package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/report"
)

// A forge that echoes the credentials in its error (no real one does):
// the only way to prove the redaction of API errors.
func TestForgeErrorsNeverLeakToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"message": "bad credentials: " + r.Header.Get("Authorization")})
	}))
	defer srv.Close()
	f, err := NewForge(srv.URL+"/api/v1", testToken, "lab/lab", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.EnsurePullRequest(context.Background(), "b", "main", "t", "body")
	if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), Redacted) {
		t.Errorf("error %v: want the echoed token redacted", err)
	}
	_, err = f.UpsertComment(context.Background(), 1, report.Marker, report.Marker+" x")
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("comment error %v", err)
	}
	if _, err := NewForge("", "", "no-slash", nil); err == nil {
		t.Error("bad repo accepted")
	}
}

type giteaComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

type giteaPR struct {
	Number int    `json:"number"`
	Body   string `json:"body"`
	Head   struct {
		Ref string `json:"ref"`
	} `json:"head"`
}

// TestPublishToGitea drives the whole publish against a real Gitea: push
// over HTTP with the token, pull request and report comment through
// go-github, re-runs that change nothing, and an update in place.
func TestPublishToGitea(t *testing.T) {
	g := startGitea(t)
	t.Logf("gitea: migrate, admin, token, API up, repository created in %s", g.StartupTime.Round(time.Millisecond))
	ctx := context.Background()
	auth := &githttp.BasicAuth{Username: g.User, Password: g.Token}

	// A checkout with two baseline runs on main.
	dir := t.TempDir()
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{URL: g.GitURL, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName("main")})
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wt, _ := repo.Worktree()
	for _, r := range []string{"r1", "r2"} {
		rel := "benchmarks/results/layers/baseline/" + r + ".json"
		write(rel, resultJSON(t, "baseline", r, 20))
		wt.Add(rel)
	}
	if _, err := wt.Commit("baseline", &git.CommitOptions{Author: &object.Signature{Name: "lab", Email: "lab@example.org", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Push(&git.PushOptions{Auth: auth}); err != nil {
		t.Fatal(err)
	}

	// New runs in the working tree only.
	for _, r := range []string{"r3", "r4"} {
		write("benchmarks/results/layers/baseline/"+r+".json", resultJSON(t, "baseline", r, 21))
		write("benchmarks/results/layers/gateway/"+r+".json", resultJSON(t, "gateway", r, 26))
	}
	o := Options{
		RepoDir: dir, ResultsDir: "benchmarks/results", Experiment: "layers",
		BaseRef: "origin/main", BaseBranch: "main",
		RemoteURL: g.GitURL, Token: g.Token, APIURL: g.APIURL, Repo: g.Repo,
		Layers: []string{"baseline", "gateway"},
	}

	start := time.Now()
	out, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first publish (push, open PR, comment) in %s", time.Since(start).Round(time.Millisecond))
	if len(out.Files) != 4 || !out.Push.Changed || out.PR == nil || !out.PR.Created || out.Comment != CommentCreated {
		t.Fatalf("first publish: files %v, push %+v, pr %+v, comment %s", out.Files, out.Push, out.PR, out.Comment)
	}
	if !strings.Contains(out.Report, "### gateway (0 baseline, 2 current runs)") || !strings.Contains(out.Report, "### baseline (2 baseline, 2 current runs)") || !strings.Contains(out.Report, "### Layers") {
		t.Errorf("report:\n%s", out.Report)
	}
	// The plots went with the results, and the comment shows them from
	// the pushed commit: every image link resolves on the forge to the
	// file the branch holds.
	wantPlots := []string{"latency.svg", "tradeoff.svg", "trend-baseline-p99-latency.svg", "trend-gateway-p99-latency.svg"}
	if len(out.Plots) != len(wantPlots) {
		t.Fatalf("plots %v, want %v", out.Plots, wantPlots)
	}
	_, _, onBranch := giteaBranchFiles(t, g, "benchmarks/layers", "benchmarks/results/layers/plots")
	links := imageLinks(out.Report)
	if len(links) != len(wantPlots) {
		t.Fatalf("image links %v in:\n%s", links, out.Report)
	}
	for i, name := range wantPlots {
		if out.Plots[i] != "benchmarks/results/layers/plots/"+name || onBranch[name] == nil {
			t.Errorf("plot %s: pushed %v, branch has %v", name, out.Plots, len(onBranch))
		}
		want := g.URL + g.Repo + "/raw/" + out.Push.Commit + "/benchmarks/results/layers/plots/" + name
		if links[i] != want {
			t.Errorf("image link %s, want %s", links[i], want)
		}
		if got := g.get(t, links[i]); !bytes.Equal(got, onBranch[name]) || !bytes.HasPrefix(got, []byte("<?xml")) {
			t.Errorf("%s serves %d bytes, the branch holds %d", links[i], len(got), len(onBranch[name]))
		}
	}
	number := out.PR.Number

	// Someone else comments too; that comment is never touched.
	g.api(t, "POST", "repos/"+g.Repo+"/issues/"+itoa(number)+"/comments", map[string]string{"body": "looks good"}, nil)

	start = time.Now()
	again, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("re-run with nothing new in %s", time.Since(start).Round(time.Millisecond))
	if again.Push.Changed || again.Push.Commit != out.Push.Commit || again.PR.Created || again.PR.Updated || again.PR.Number != number || again.Comment != CommentUnchanged {
		t.Errorf("re-run changed something: push %+v, pr %+v, comment %s", again.Push, again.PR, again.Comment)
	}

	// One more run: a new commit, the PR body and the comment edited in place.
	write("benchmarks/results/layers/gateway/r5.json", resultJSON(t, "gateway", "r5", 27))
	third, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !third.Push.Changed || third.PR.Created || !third.PR.Updated || third.PR.Number != number || third.Comment != CommentUpdated {
		t.Errorf("third publish: push %+v, pr %+v, comment %s", third.Push, third.PR, third.Comment)
	}
	// The gateway's plots were redrawn with its third run and replaced on
	// the branch; the comment now links them in the new commit.
	_, _, redrawn := giteaBranchFiles(t, g, "benchmarks/layers", "benchmarks/results/layers/plots")
	if bytes.Equal(redrawn["trend-gateway-p99-latency.svg"], onBranch["trend-gateway-p99-latency.svg"]) {
		t.Error("the gateway's trend was not redrawn")
	}
	for _, l := range imageLinks(third.Report) {
		if !strings.Contains(l, "/raw/"+third.Push.Commit+"/") {
			t.Errorf("image link %s is not to commit %s", l, third.Push.Commit)
		}
	}

	var comments []giteaComment
	g.api(t, "GET", "repos/"+g.Repo+"/issues/"+itoa(number)+"/comments", nil, &comments)
	marked := 0
	for _, c := range comments {
		if strings.Contains(c.Body, report.Marker) {
			marked++
			if c.Body != third.Report {
				t.Errorf("comment holds an old report")
			}
			if !strings.Contains(c.Body, "### gateway (0 baseline, 3 current runs)") {
				t.Errorf("comment not updated:\n%s", c.Body)
			}
		}
	}
	if marked != 1 || len(comments) != 2 {
		t.Errorf("%d comments, %d with the marker: want the report once plus the other comment", len(comments), marked)
	}
	var prs []giteaPR
	g.api(t, "GET", "repos/"+g.Repo+"/pulls?state=open", nil, &prs)
	if len(prs) != 1 || prs[0].Head.Ref != "benchmarks/layers" || !strings.Contains(prs[0].Body, "Adds 5 benchmark result(s)") {
		t.Errorf("pull requests %+v", prs)
	}

	// The token never shows: a wrong one fails with a clean error.
	bad := o
	bad.Token = "wrong-" + g.Token
	_, err = Run(ctx, bad)
	if err == nil || strings.Contains(err.Error(), bad.Token) || strings.Contains(err.Error(), g.Token) {
		t.Errorf("wrong token: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

var imageLink = regexp.MustCompile(`(?m)^!\[[^\]]*\]\(([^)]+)\)$`)

// imageLinks are the targets of a Markdown's images, in order.
func imageLinks(md string) []string {
	var out []string
	for _, m := range imageLink.FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}

// giteaBranchFiles clones branch from the Gitea and returns its head and
// files under sub.
func giteaBranchFiles(t *testing.T, g *giteaServer, branch, sub string) (string, int, map[string][]byte) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: g.GitURL, Auth: &githttp.BasicAuth{Username: g.User, Password: g.Token}, ReferenceName: plumbing.NewBranchReferenceName(branch), SingleBranch: true})
	if err != nil {
		t.Fatalf("clone %s: %v", branch, err)
	}
	head, _ := repo.Head()
	c, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	files, err := treeFiles(c, sub)
	if err != nil {
		t.Fatal(err)
	}
	return head.Hash().String(), len(files), files
}
