package publish

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// giteaServer is the harness's Gitea (testenv.StartGitea) with an
// initialized repository <admin>/lab.
type giteaServer struct {
	URL, APIURL, User, Password, Token, Repo, GitURL string
	StartupTime                                      time.Duration
}

// startGitea runs the pinned Gitea until the test ends (a missing binary
// skips the test; fails under LAB_REQUIRE_TOOLS=1) and creates the
// repository the tests publish to.
func startGitea(t *testing.T) *giteaServer {
	t.Helper()
	begin := time.Now()
	tg := testenv.StartGitea(t)
	g := &giteaServer{URL: tg.URL, APIURL: tg.APIURL, User: tg.User, Password: tg.Password, Token: tg.Token, Repo: tg.User + "/lab"}
	g.api(t, "POST", "user/repos", map[string]any{"name": "lab", "auto_init": true, "default_branch": "main", "readme": "Default"}, nil)
	g.GitURL = g.URL + g.Repo + ".git"
	g.StartupTime = time.Since(begin)
	return g
}

// api calls Gitea's REST API as the admin.
func (g *giteaServer) api(t *testing.T, method, path string, body, into any) {
	t.Helper()
	g.apiAs(t, "token "+g.Token, method, path, body, into)
}

// status is the HTTP status of an admin's GET of path.
func (g *giteaServer) status(t *testing.T, path string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", g.APIURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// get fetches a web URL of the Gitea as the admin and returns the body.
func (g *giteaServer) get(t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return b.Bytes()
}

// addUser creates a user who is not the admin and returns a token of
// theirs that may write issues and read repositories.
func (g *giteaServer) addUser(t *testing.T, name string) string {
	t.Helper()
	pw := "pw-" + name + "-0123456789"
	g.api(t, "POST", "admin/users", map[string]any{"username": name, "email": name + "@example.org", "password": pw, "must_change_password": false}, nil)
	var tok struct {
		Token string `json:"sha1"`
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+pw))
	g.apiAs(t, basic, "POST", "users/"+name+"/tokens", map[string]any{"name": "t", "scopes": []string{"write:issue", "read:repository", "read:user"}}, &tok)
	if tok.Token == "" {
		t.Fatalf("no token for %s", name)
	}
	return tok.Token
}

// apiAs calls Gitea's REST API with the Authorization header auth.
func (g *giteaServer) apiAs(t *testing.T, auth, method, path string, body, into any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, g.APIURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %s\n%s", method, path, resp.Status, b.String())
	}
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
}
