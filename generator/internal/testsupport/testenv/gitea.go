package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Gitea is a running Gitea forge on a loopback port (SQLite, offline, no SSH) with one admin
// user and an API token, for tests that drive a real forge API (go-github works against it
// with base URL APIURL).
type Gitea struct {
	// URL is the web and git base, e.g. http://127.0.0.1:PORT/; APIURL is URL + "api/v1/".
	URL, APIURL string
	// User and Password are the admin's credentials (also good for git over HTTP); Token is
	// an API token with all scopes.
	User, Password, Token string
	// Dir holds the configuration, database, repositories and log.
	Dir string
	// StartupTime covers migration, user and token creation and the wait for the API.
	StartupTime time.Duration

	web      *process
	stopOnce sync.Once
	stopErr  error
}

// Helm returns the path of the pinned Helm CLI (see Tool).
func Helm(t testing.TB) string {
	t.Helper()
	return Tool(t, "helm")
}

// StartGitea starts a fresh Gitea for one test and stops it when the test ends (see Tool for
// when a missing binary skips or fails).
func StartGitea(t testing.TB) *Gitea {
	t.Helper()
	bin := Tool(t, "gitea")
	g, err := startGitea(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Error(err)
		}
	})
	return g
}

func startGitea(ctx context.Context, bin string) (g *Gitea, err error) {
	began := time.Now()
	static := filepath.Join(filepath.Dir(bin), "static")
	if _, err := os.Stat(filepath.Join(static, "templates")); err != nil {
		return nil, fmt.Errorf("gitea templates missing beside %s (rebuild with bash scripts/tools.sh gitea): %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "testenv-gitea-")
	if err != nil {
		return nil, err
	}
	g = &Gitea{Dir: dir, User: "lab-admin"}
	defer func() {
		if err != nil {
			_ = g.Stop()
			g = nil
		}
	}()
	if g.Password, err = randomHex(16); err != nil {
		return nil, err
	}
	secret, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	g.URL = "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/"
	g.APIURL = g.URL + "api/v1/"
	conf := filepath.Join(dir, "app.ini")
	ini := fmt.Sprintf(`APP_NAME = lab
RUN_MODE = prod
RUN_USER = %s
WORK_PATH = %s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %d
ROOT_URL = %s
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = %s
APP_DATA_PATH = %s

[database]
DB_TYPE = sqlite3
PATH = %s

[repository]
ROOT = %s

[security]
INSTALL_LOCK = true
SECRET_KEY = %s

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[mailer]
ENABLED = false

[cron]
ENABLED = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = %s
`, u.Username, dir, ports[0], g.URL, static, filepath.Join(dir, "data"),
		filepath.Join(dir, "gitea.db"), filepath.Join(dir, "repos"), secret, filepath.Join(dir, "log"))
	if err := os.WriteFile(conf, []byte(ini), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"HOME="+dir, // gitea runs git, which reads $HOME/.gitconfig
		"GITEA_WORK_DIR="+dir,
		"GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true", // CI runs as root; ignored otherwise
	)
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config", conf, "--work-path", dir}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("gitea %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("migrate"); err != nil {
		return nil, err
	}
	if _, err := run("admin", "user", "create", "--admin", "--username", g.User, "--password", g.Password,
		"--email", g.User+"@example.invalid", "--must-change-password=false"); err != nil {
		return nil, err
	}
	out, err := run("admin", "user", "generate-access-token", "--username", g.User, "--token-name", "tests", "--scopes", "all", "--raw")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	g.Token = strings.TrimSpace(lines[len(lines)-1])
	if len(g.Token) < 20 || strings.Contains(g.Token, " ") {
		return nil, fmt.Errorf("gitea generate-access-token: unexpected output %q", out)
	}

	g.web, err = startProcessEnv(dir, "gitea", bin, env, "--config", conf, "--work-path", dir, "web")
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, http.DefaultClient, g.APIURL+"version", "", 60*time.Second, g.web); err != nil {
		return nil, fmt.Errorf("gitea not serving: %w%s", err, g.web.logTail())
	}
	g.StartupTime = time.Since(began)
	return g, nil
}

// Stop ends Gitea and removes its folder. It is safe to call more than once.
func (g *Gitea) Stop() error {
	g.stopOnce.Do(func() {
		var errs []error
		if g.web != nil {
			errs = append(errs, g.web.stop(15*time.Second))
		}
		errs = append(errs, os.RemoveAll(g.Dir))
		g.stopErr = errors.Join(errs...)
	})
	return g.stopErr
}

// LogTail returns the end of Gitea's log, for test failure messages.
func (g *Gitea) LogTail() string { return g.web.logTail() }
