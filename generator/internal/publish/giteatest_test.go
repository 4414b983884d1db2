package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testenv"
)

// giteaServer is a private Gitea (SQLite, offline) on a loopback port with
// an admin user, its API token and an initialized repository lab/lab.
type giteaServer struct {
	URL, APIURL, User, Token, Repo, GitURL string
	StartupTime                            time.Duration
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startGitea runs the pinned Gitea (bash scripts/tools.sh gitea) until the
// test ends. A missing binary skips the test (fails under LAB_REQUIRE_TOOLS=1).
func startGitea(t *testing.T) *giteaServer {
	t.Helper()
	bin := testenv.Tool(t, "gitea")
	static := filepath.Join(filepath.Dir(bin), "static")
	begin := time.Now()
	dir := t.TempDir()
	port := freePort(t)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	ini := filepath.Join(dir, "app.ini")
	conf := fmt.Sprintf(`APP_NAME = lab
RUN_USER = %s
RUN_MODE = prod
WORK_PATH = %s

[database]
DB_TYPE = sqlite3
PATH = %s/gitea.db

[repository]
ROOT = %s/repos
DEFAULT_BRANCH = main

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %d
ROOT_URL = %s
DISABLE_SSH = true
OFFLINE_MODE = true
STATIC_ROOT_PATH = %s
APP_DATA_PATH = %s/data
LFS_START_SERVER = false

[security]
INSTALL_LOCK = true
SECRET_KEY = lab-test-secret-key-0123456789abcdef
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.lab-test-internal-token-0123456789

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[mailer]
ENABLED = false

[log]
MODE = file
LEVEL = warn
ROOT_PATH = %s/log

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false
`, u.Username, dir, dir, dir, port, base, static, dir, dir)
	if os.Geteuid() == 0 {
		// Gitea refuses root unless its config says so (CI runs as root).
		conf = "I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true\n" + conf
	}
	if err := os.WriteFile(ini, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GITEA_WORK_DIR="+dir, "HOME="+filepath.Join(dir, "home"), "USER="+u.Username)
	if os.Geteuid() == 0 {
		env = append(env, "I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true")
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--config", ini, "--work-path", dir)...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("gitea %s: %v\n%s\n%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}
	run("migrate")
	const admin = "lab"
	run("admin", "user", "create", "--admin", "--username", admin, "--password", "lab-Passw0rd-for-tests", "--email", "lab@example.org", "--must-change-password=false")
	token := strings.TrimSpace(run("admin", "user", "generate-access-token", "--username", admin, "--token-name", "lab-test", "--scopes", "all", "--raw"))
	if len(token) < 20 {
		t.Fatalf("gitea token %q", token)
	}

	logf, err := os.Create(filepath.Join(dir, "web.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "web", "--config", ini, "--work-path", dir)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	g := &giteaServer{URL: base, APIURL: base + "api/v1/", User: admin, Token: token, Repo: admin + "/lab"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(g.APIURL + "version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "web.log"))
			t.Fatalf("gitea exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "web.log"))
			t.Fatalf("gitea API not up after 60s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.StartupTime = time.Since(begin)
	g.api(t, "POST", "user/repos", map[string]any{"name": "lab", "auto_init": true, "default_branch": "main", "readme": "Default"}, nil)
	g.GitURL = base + g.Repo + ".git"
	return g
}

// api calls Gitea's REST API as the admin.
func (g *giteaServer) api(t *testing.T, method, path string, body, into any) {
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
	req.Header.Set("Authorization", "token "+g.Token)
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
