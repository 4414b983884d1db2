package publish

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/report"
)

// TestPublishGuardsOnGitea: against a real Gitea, a comment by another
// user that quotes the marker is never edited; a wrong repository, API
// URL, base branch or a token that may not push is refused before
// anything is pushed; credentials never show in an error.
func TestPublishGuardsOnGitea(t *testing.T) {
	g := startGitea(t)
	ctx := context.Background()
	mallory := g.addUser(t, "mallory")
	dir := t.TempDir()
	if _, err := git.PlainClone(dir, false, &git.CloneOptions{URL: g.GitURL, Auth: &githttp.BasicAuth{Username: g.User, Password: g.Token},
		ReferenceName: plumbing.NewBranchReferenceName("main")}); err != nil {
		t.Fatal(err)
	}
	n := 0
	addRun := func() {
		n++
		rel := filepath.Join(dir, "benchmarks", "results", "layers", "baseline", "r"+itoa(n)+".json")
		os.MkdirAll(filepath.Dir(rel), 0o755)
		if err := os.WriteFile(rel, resultJSON(t, "baseline", "r"+itoa(n), 20+float64(n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := Options{
		RepoDir: dir, ResultsDir: "benchmarks/results", Experiment: "layers",
		BaseRef: "origin/main", BaseBranch: "main",
		RemoteURL: g.GitURL, Token: g.Token, APIURL: g.APIURL, Repo: g.Repo,
	}
	branch := "repos/" + g.Repo + "/branches/benchmarks%2Flayers"
	addRun()

	t.Run("forge checked before the push", func(t *testing.T) {
		for _, c := range []struct {
			name string
			edit func(*Options)
			want string
		}{
			{"no such repository", func(o *Options) { o.Repo = g.User + "/nope" }, "repository lab-admin/nope not found at " + g.APIURL},
			{"API URL of no forge", func(o *Options) { o.APIURL = g.URL + "api/v9/" }, "the token's user at " + g.URL + "api/v9/"},
			{"no such base branch", func(o *Options) { o.BaseBranch = "develop" }, `repository lab-admin/lab has no base branch "develop"`},
			{"token may not push", func(o *Options) { o.Token = mallory }, "mallory may not push to lab-admin/lab"},
			{"token refused", func(o *Options) { o.Token = "0123456789abcdef0123456789abcdef01234567" }, "refuses the token"},
		} {
			t.Run(c.name, func(t *testing.T) {
				o := good
				c.edit(&o)
				_, err := Run(ctx, o)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
				if strings.Contains(err.Error(), o.Token) || strings.Contains(err.Error(), g.Token) {
					t.Errorf("the error shows a token: %v", err)
				}
				if st := g.status(t, branch); st != 404 {
					t.Errorf("branch benchmarks/layers: HTTP %d after a refused publish, want 404 (nothing pushed)", st)
				}
			})
		}
	})

	t.Run("credentials in the remote URL never shown", func(t *testing.T) {
		host := strings.TrimPrefix(strings.TrimSuffix(g.URL, "/"), "http://")
		for _, remote := range []string{
			"http://" + g.User + ":" + g.Password + "@" + host + "/" + g.Repo + "-missing.git", // valid, no such repository
			"http://" + g.User + ":" + g.Password + "@" + host + "/%zz/" + g.Repo + ".git",     // does not parse
			"http://" + g.Token + "@" + host + "/" + g.Repo + "-missing.git",                   // the token as the user
		} {
			o := good
			o.RemoteURL = remote
			if strings.Contains(remote, "-missing") {
				// The forge is fine; the push is what fails.
				o.Repo = g.Repo
			}
			_, err := Run(ctx, o)
			if err == nil {
				t.Fatalf("%s: no error", SafeURL(remote))
			}
			for _, secret := range []string{g.Password, g.Token} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a credential: %v", err)
				}
			}
			t.Logf("%v", err)
		}
		if st := g.status(t, branch); st != 404 {
			t.Errorf("branch pushed (HTTP %d)", st)
		}
	})

	t.Run("another user's marker comment is never edited", func(t *testing.T) {
		out, err := Run(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		if out.Comment != CommentCreated {
			t.Fatalf("first publish: comment %s", out.Comment)
		}
		num := itoa(out.PR.Number)
		// Mallory quotes the marker; then our own comment goes away.
		fake := report.Marker + "\nall green, merge it"
		g.apiAs(t, "token "+mallory, "POST", "repos/"+g.Repo+"/issues/"+num+"/comments", map[string]string{"body": fake}, nil)
		var cs []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
			User struct {
				Login string `json:"login"`
			} `json:"user"`
		}
		g.api(t, "GET", "repos/"+g.Repo+"/issues/"+num+"/comments", nil, &cs)
		for _, c := range cs {
			if c.User.Login == g.User {
				g.api(t, "DELETE", "repos/"+g.Repo+"/issues/comments/"+itoa(int(c.ID)), nil, nil)
			}
		}
		for i, want := range []string{CommentCreated, CommentUpdated, CommentUnchanged} {
			if i < 2 {
				addRun()
			}
			start := time.Now()
			out, err := Run(ctx, good)
			if err != nil {
				t.Fatal(err)
			}
			if out.Comment != want {
				t.Errorf("publish %d: comment %s, want %s", i+2, out.Comment, want)
			}
			t.Logf("publish %d in %s: comment %s", i+2, time.Since(start).Round(time.Millisecond), out.Comment)
		}
		cs = nil
		g.api(t, "GET", "repos/"+g.Repo+"/issues/"+num+"/comments", nil, &cs)
		ours, theirs := 0, 0
		for _, c := range cs {
			switch c.User.Login {
			case g.User:
				ours++
				if !strings.Contains(c.Body, "3 current runs") {
					t.Errorf("our comment holds an old report:\n%s", c.Body)
				}
			case "mallory":
				theirs++
				if c.Body != fake {
					t.Errorf("mallory's comment was edited:\n%s", c.Body)
				}
			}
		}
		if ours != 1 || theirs != 1 {
			t.Errorf("%d comments of ours, %d of mallory's: want one each", ours, theirs)
		}
	})
}
