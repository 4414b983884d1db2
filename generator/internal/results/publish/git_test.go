package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxcd/pkg/gittestserver"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

const (
	testUser  = "x-access-token"
	testToken = "ghp_TESTtoken0123456789abcdefSECRET"
)

func f64(v float64) *float64 { return &v }

// resultJSON is a valid stored result of experiment "layers".
func resultJSON(t *testing.T, variant, runID string, p99 float64) []byte {
	t.Helper()
	r := results.New(results.ToolK6, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = "layers", variant, runID
	r.SetSources([]results.Source{{File: runID + ".log", Format: results.FormatSummary}})
	r.LoadGenerators = 1
	r.Operations.Count, r.DurationS, r.ThroughputPerS = 60000, 60, 1000
	r.Errors.Rate = f64(0)
	iters := int64(60000)
	r.Iterations = &iters
	r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: "request", Med: f64(p99 / 2), P95: f64(p99 * 0.9), P99: f64(p99)}
	e := cost.Estimate{Currency: "USD", Method: "workload", Hours: 60.0 / 3600, CPU: 0.001, Total: 0.001, MonthlyProjection: 0.001 / (60.0 / 3600) * 730}
	e = e.WithUnits(r.CostUnits())
	r.Cost = &e
	if err := results.Validate(r, results.Expect{}); err != nil {
		t.Fatal(err)
	}
	b, err := results.MarshalIndent(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gitServer serves repository lab.git whose main branch holds two
// baseline runs, behind basic auth.
func gitServer(t *testing.T) (url string, srv *gittestserver.GitServer) {
	t.Helper()
	srv, err := gittestserver.NewTempGitServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(srv.Root()) })
	srv.AutoCreate().Auth(testUser, testToken)
	fixture := t.TempDir()
	for _, run := range []string{"r1", "r2"} {
		p := filepath.Join(fixture, "benchmarks", "results", "layers", "baseline", run+".json")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, resultJSON(t, "baseline", run, 20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(fixture, "README.md"), []byte("lab\n"), 0o644)
	if err := srv.InitRepo(fixture, "main", "lab.git"); err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.StopHTTP)
	return srv.HTTPAddress() + "/lab.git", srv
}

func auth() *githttp.BasicAuth { return &githttp.BasicAuth{Username: testUser, Password: testToken} }

// branchFiles clones branch and returns its commit and files under sub.
func branchFiles(t *testing.T, url, branch, sub string) (string, int, map[string][]byte) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, Auth: auth(), ReferenceName: plumbing.NewBranchReferenceName(branch), SingleBranch: true})
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
	n := 0
	iter, _ := repo.Log(&git.LogOptions{From: head.Hash()})
	iter.ForEach(func(*object.Commit) error { n++; return nil })
	return head.Hash().String(), n, files
}

func pushOpts(url string, files map[string][]byte) PushOptions {
	return PushOptions{
		URL: url, Username: testUser, Token: testToken, Branch: "benchmarks/layers", Base: "main",
		Files: files, Message: "benchmarks: layers results",
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
}

func TestPushIdempotent(t *testing.T) {
	url, _ := gitServer(t)
	ctx := context.Background()
	a := map[string][]byte{"benchmarks/results/layers/gateway/r1.json": resultJSON(t, "gateway", "r1", 25)}

	start := time.Now()
	res, err := Push(ctx, pushOpts(url, a))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first push (list, clone, commit, push) in %s", time.Since(start).Round(time.Millisecond))
	if !res.Changed || res.Attempts != 1 {
		t.Fatalf("first push: %+v", res)
	}
	head, n, files := branchFiles(t, url, "benchmarks/layers", "benchmarks/results/layers")
	if head != res.Commit || len(files) != 3 || string(files["gateway/r1.json"]) != string(a["benchmarks/results/layers/gateway/r1.json"]) {
		t.Fatalf("branch at %s with %d files, pushed %s", head, len(files), res.Commit)
	}
	_, nMain, _ := branchFiles(t, url, "main", "benchmarks")
	if n != nMain+1 {
		t.Errorf("branch has %d commits, main %d: want one commit on top of main", n, nMain)
	}

	// Nothing new: no commit, no push.
	again, err := Push(ctx, pushOpts(url, a))
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.Commit != res.Commit {
		t.Errorf("re-run changed the branch: %+v (was %s)", again, res.Commit)
	}
	if h, _, _ := branchFiles(t, url, "benchmarks/layers", "benchmarks"); h != res.Commit {
		t.Errorf("branch moved to %s", h)
	}

	// One more run: one more commit, only the new file.
	a["benchmarks/results/layers/gateway/r2.json"] = resultJSON(t, "gateway", "r2", 26)
	third, err := Push(ctx, pushOpts(url, a))
	if err != nil || !third.Changed {
		t.Fatalf("third push: %+v, %v", third, err)
	}
	_, n3, files := branchFiles(t, url, "benchmarks/layers", "benchmarks/results/layers")
	if n3 != n+1 || len(files) != 4 {
		t.Errorf("after adding a run: %d commits, %d files", n3, len(files))
	}

	// Results are append-only: a different file under the same name fails.
	bad := map[string][]byte{"benchmarks/results/layers/gateway/r1.json": resultJSON(t, "gateway", "r1", 99)}
	if _, err := Push(ctx, pushOpts(url, bad)); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("changed result: %v", err)
	}

	// Results already on the base branch: no branch is created.
	onMain := map[string][]byte{"benchmarks/results/layers/baseline/r1.json": resultJSON(t, "baseline", "r1", 20)}
	o := pushOpts(url, onMain)
	o.Branch = "benchmarks/other"
	res4, err := Push(ctx, o)
	if err != nil || res4.Changed || res4.BranchExists {
		t.Errorf("files already on main: %+v, %v", res4, err)
	}
}

// Generated files (plots) are replaced on the branch, committed only when
// they differ, and never create a branch by themselves.
func TestPushGenerated(t *testing.T) {
	url, _ := gitServer(t)
	ctx := context.Background()
	a := map[string][]byte{"benchmarks/results/layers/gateway/r1.json": resultJSON(t, "gateway", "r1", 25)}
	const plot = "benchmarks/results/layers/plots/latency.svg"
	o := pushOpts(url, a)
	o.Generated = map[string][]byte{plot: []byte("<svg>1</svg>\n")}
	res, err := Push(ctx, o)
	if err != nil || !res.Changed {
		t.Fatalf("first push: %+v, %v", res, err)
	}
	_, n, files := branchFiles(t, url, "benchmarks/layers", "benchmarks/results/layers")
	if string(files["plots/latency.svg"]) != "<svg>1</svg>\n" || files["gateway/r1.json"] == nil {
		t.Fatalf("branch files %v", files)
	}

	// The same plot: nothing to commit.
	again, err := Push(ctx, o)
	if err != nil || again.Changed || again.Commit != res.Commit {
		t.Errorf("re-run: %+v, %v", again, err)
	}

	// A redrawn plot replaces the old one in one more commit.
	o.Generated = map[string][]byte{plot: []byte("<svg>2</svg>\n")}
	third, err := Push(ctx, o)
	if err != nil || !third.Changed {
		t.Fatalf("redrawn plot: %+v, %v", third, err)
	}
	_, n3, files := branchFiles(t, url, "benchmarks/layers", "benchmarks/results/layers")
	if n3 != n+1 || string(files["plots/latency.svg"]) != "<svg>2</svg>\n" {
		t.Errorf("after the redraw: %d commits (was %d), plot %q", n3, n, files["plots/latency.svg"])
	}

	// Results already on main and only a plot: no branch is created.
	onMain := pushOpts(url, map[string][]byte{"benchmarks/results/layers/baseline/r1.json": resultJSON(t, "baseline", "r1", 20)})
	onMain.Branch = "benchmarks/other"
	onMain.Generated = map[string][]byte{plot: []byte("<svg>3</svg>\n")}
	res4, err := Push(ctx, onMain)
	if err != nil || res4.Changed || res4.BranchExists {
		t.Errorf("only a plot for a missing branch: %+v, %v", res4, err)
	}

	// A path cannot be both.
	both := pushOpts(url, a)
	both.Generated = map[string][]byte{"benchmarks/results/layers/gateway/r1.json": []byte("x")}
	if _, err := Push(ctx, both); err == nil || !strings.Contains(err.Error(), "both a result and a generated file") {
		t.Errorf("result and generated: %v", err)
	}
}

// competingPush commits a file to the branch from another clone, as a
// second publisher (or a person) would.
func competingPush(t *testing.T, url, branch, file string) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, Auth: auth(), ReferenceName: plumbing.NewBranchReferenceName(branch), SingleBranch: true})
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	fh, _ := wt.Filesystem.Create(file)
	fmt.Fprintf(fh, "%s\n", file)
	fh.Close()
	wt.Add(file)
	sig := &object.Signature{Name: "other", Email: "other@example.org", When: time.Now()}
	if _, err := wt.Commit("competing "+file, &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}
	ref := plumbing.NewBranchReferenceName(branch).String()
	if err := repo.Push(&git.PushOptions{Auth: auth(), RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)}}); err != nil {
		t.Fatal(err)
	}
}

func TestPushRace(t *testing.T) {
	url, _ := gitServer(t)
	ctx := context.Background()
	// The branch exists (an earlier publish).
	first := map[string][]byte{"benchmarks/results/layers/gateway/r1.json": resultJSON(t, "gateway", "r1", 25)}
	if _, err := Push(ctx, pushOpts(url, first)); err != nil {
		t.Fatal(err)
	}

	files := map[string][]byte{"benchmarks/results/layers/mesh/r1.json": resultJSON(t, "mesh", "r1", 33)}
	o := pushOpts(url, files)
	o.beforePush = func(attempt int) {
		if attempt == 1 {
			competingPush(t, url, "benchmarks/layers", "other/from-someone-else.txt")
		}
	}
	res, err := Push(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || !res.Changed {
		t.Errorf("race: %+v, want success on the second attempt", res)
	}
	head, _, all := branchFiles(t, url, "benchmarks/layers", "")
	if head != res.Commit {
		t.Errorf("branch at %s, pushed %s", head, res.Commit)
	}
	for _, f := range []string{"other/from-someone-else.txt", "benchmarks/results/layers/mesh/r1.json", "benchmarks/results/layers/gateway/r1.json"} {
		if _, ok := all[f]; !ok {
			t.Errorf("branch lacks %s: the competing commit or ours was lost", f)
		}
	}

	// A branch that keeps moving: bounded attempts, then a clear error.
	files2 := map[string][]byte{"benchmarks/results/layers/mesh/r2.json": resultJSON(t, "mesh", "r2", 34)}
	o2 := pushOpts(url, files2)
	o2.MaxAttempts = 3
	o2.beforePush = func(attempt int) {
		competingPush(t, url, "benchmarks/layers", fmt.Sprintf("other/move-%d.txt", attempt))
	}
	_, err = Push(ctx, o2)
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("endless race: %v", err)
	}

	// Racing on creation: the branch appears between list and push.
	o3 := pushOpts(url, map[string][]byte{"benchmarks/results/layers/mesh/r3.json": resultJSON(t, "mesh", "r3", 35)})
	o3.Branch = "benchmarks/new"
	o3.beforePush = func(attempt int) {
		if attempt == 1 {
			competingPushNew(t, url, "main", "benchmarks/new")
		}
	}
	res3, err := Push(ctx, o3)
	if err != nil || res3.Attempts != 2 {
		t.Errorf("creation race: %+v, %v", res3, err)
	}
}

// competingPushNew creates branch from base with one extra commit.
func competingPushNew(t *testing.T, url, base, branch string) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, Auth: auth(), ReferenceName: plumbing.NewBranchReferenceName(base), SingleBranch: true})
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	fh, _ := wt.Filesystem.Create("other.txt")
	fh.Write([]byte("x\n"))
	fh.Close()
	wt.Add("other.txt")
	h, err := wt.Commit("other", &git.CommitOptions{Author: &object.Signature{Name: "o", Email: "o@example.org", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	ref := plumbing.NewBranchReferenceName(branch)
	repo.Storer.SetReference(plumbing.NewHashReference(ref, h))
	if err := repo.Push(&git.PushOptions{Auth: auth(), RefSpecs: []config.RefSpec{config.RefSpec(ref.String() + ":" + ref.String())}}); err != nil {
		t.Fatal(err)
	}
}

func TestPushNeverLeaksToken(t *testing.T) {
	url, _ := gitServer(t)
	ctx := context.Background()
	files := map[string][]byte{"benchmarks/results/layers/gateway/r1.json": resultJSON(t, "gateway", "r1", 25)}
	const wrong = "ghp_WRONGtoken9876543210zyxwSECRET"
	for _, c := range []struct {
		name string
		mod  func(*PushOptions)
	}{
		{"wrong token", func(o *PushOptions) { o.Token = wrong }},
		{"token in URL", func(o *PushOptions) {
			o.URL = strings.Replace(url, "http://", "http://"+testUser+":"+wrong+"@", 1) + "-missing"
			o.Token = wrong
		}},
		{"unreachable", func(o *PushOptions) { o.URL = "http://127.0.0.1:1/lab.git"; o.Token = wrong }},
		{"missing base", func(o *PushOptions) { o.Base = "no-such-branch"; o.Token = testToken }},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := pushOpts(url, files)
			c.mod(&o)
			_, err := Push(ctx, o)
			if err == nil {
				t.Fatal("push succeeded")
			}
			for _, secret := range []string{wrong, testToken} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
					t.Errorf("error leaks the token: %v", err)
				}
			}
			t.Logf("%v", err)
		})
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"fatal: https://x:" + testToken + "@h/r", "fatal: https://" + Redacted + "@h/r"},
		// Any URL's user information goes, secret known or not, parsed or not.
		{`parse "https://bob:hunter2@host/%zz.git": invalid URL escape "%zz"`, `parse "https://` + Redacted + `@host/%zz.git": invalid URL escape "%zz"`},
		{"clone http://" + testToken + "@host:3000/o/r.git failed", "clone http://" + Redacted + "@host:3000/o/r.git failed"},
		{"see https://host/a@b and mailto:x@y", "see https://host/a@b and mailto:x@y"},
		{"Authorization: Basic eC1hY2Nlc3MtdG9rZW46Z2hwX1RFU1R0b2tlbjAxMjM0NTY3ODlhYmNkZWZTRUNSRVQ=", "Authorization: Basic " + Redacted},
		{"nothing secret", "nothing secret"},
	} {
		if got := RedactString(c.in, testToken); got != c.want {
			t.Errorf("RedactString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	err := Redact(fmt.Errorf("wrap: %w", errors.New("token "+testToken)), testToken)
	if strings.Contains(err.Error(), testToken) || errors.Unwrap(err) != nil {
		t.Errorf("Redact: %v", err)
	}
	if got := SafeURL("https://u:" + testToken + "@example.org/r.git"); strings.Contains(got, testToken) {
		t.Errorf("SafeURL: %s", got)
	}
}

// The baseline comes from the base ref, not the working tree.
func TestReadResultsAndNewFiles(t *testing.T) {
	url, _ := gitServer(t)
	dir := t.TempDir()
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{URL: url, Auth: auth(), ReferenceName: plumbing.NewBranchReferenceName("main")})
	if err != nil {
		t.Fatal(err)
	}
	_ = repo
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Working-tree changes: a new run, and a baseline run deleted locally.
	write("benchmarks/results/layers/gateway/r9.json", resultJSON(t, "gateway", "r9", 25))
	os.Remove(filepath.Join(dir, "benchmarks/results/layers/baseline/r2.json"))

	base, err := ReadResults(dir, "main", "benchmarks/results", "layers")
	if err != nil {
		t.Fatal(err)
	}
	if len(base["baseline"]) != 2 || len(base["gateway"]) != 0 {
		t.Errorf("baseline from main: %d baseline, %d gateway runs", len(base["baseline"]), len(base["gateway"]))
	}
	for _, ref := range []string{"origin/main", "refs/heads/main"} {
		if b, err := ReadResults(dir, ref, "benchmarks/results", "layers"); err != nil || len(b["baseline"]) != 2 {
			t.Errorf("ref %s: %v", ref, err)
		}
	}
	if b, err := ReadResults(dir, "main", "benchmarks/results", "no-such-experiment"); err != nil || len(b) != 0 {
		t.Errorf("absent experiment: %v, %v", b, err)
	}
	if _, err := ReadResults(dir, "no-such-ref", "benchmarks/results", "layers"); err == nil {
		t.Error("unknown ref accepted")
	}
	nf, err := NewFiles(dir, "main", "benchmarks/results/layers")
	if err != nil {
		t.Fatal(err)
	}
	if len(nf) != 1 || nf["benchmarks/results/layers/gateway/r9.json"] == nil {
		t.Errorf("new files %v", keys(nf))
	}
	// A stored result edited in the working tree is refused.
	write("benchmarks/results/layers/baseline/r1.json", resultJSON(t, "baseline", "r1", 99))
	if _, err := NewFiles(dir, "main", "benchmarks/results/layers"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("edited result: %v", err)
	}
	// A corrupt result on the base ref is an error naming the file.
	write("benchmarks/results/layers/baseline/r1.json", []byte(`{"schema_version": 1, "bogus": true}`))
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
