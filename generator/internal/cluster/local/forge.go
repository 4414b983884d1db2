package local

import (
	"bufio"
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
	"time"
)

// GiteaOwner is the Gitea user owning the lab's repository on a local hub.
const GiteaOwner = "lab"

// forge starts Redis and Gitea (independent of the control plane).
func (s *starter) forge(ctx context.Context) error {
	if err := s.step("redis", func() error { return s.redis(ctx) }); err != nil {
		return err
	}
	return s.step("gitea", func() error { return s.gitea(ctx) })
}

func (s *starter) redis(ctx context.Context) error {
	dir := filepath.Join(s.Dir, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.RedisPassword = randomHex(16)
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(s.Ports["redis"]), "--save", "", "--appendonly", "no",
		"--dir", dir, "--protected-mode", "yes", "--daemonize", "no", "--requirepass", s.RedisPassword}
	if l := s.o.ArgoCD.Limits["redis"]; l.Memory > 0 {
		// ArgoCD's Redis is a cache: evict rather than fail writes.
		args = append(args, "--maxmemory", strconv.FormatInt(l.Memory, 10), "--maxmemory-policy", "allkeys-lru")
	}
	p, err := s.spawn("redis", s.o.Tools.Redis, s.env(dir, Limits{}), args...)
	if err != nil {
		return err
	}
	return waitFor(ctx, "redis PING", 20*time.Second, p, func(context.Context) error {
		return redisPing(s.url("redis"), s.RedisPassword)
	})
}

// redisPing authenticates and pings, speaking RESP inline commands.
func redisPing(addr, password string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "AUTH %s\r\nPING\r\n", password); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for _, want := range []string{"+OK", "+PONG"} {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(line) != want {
			return fmt.Errorf("redis answered %q, want %s", strings.TrimSpace(line), want)
		}
	}
	return nil
}

func (s *starter) gitea(ctx context.Context) error {
	bin := s.o.Tools.Gitea
	static := filepath.Join(filepath.Dir(bin), "static")
	dir := filepath.Join(s.Dir, "gitea")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	u, err := user.Current()
	if err != nil {
		return err
	}
	s.GiteaUser, s.GiteaPassword = GiteaOwner, randomHex(16)
	s.GiteaURL = "http://" + s.url("gitea") + "/"
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
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = %s
; push webhooks go to argocd-server on this machine
ALLOWED_HOST_LIST = loopback

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[webhook]
DELIVER_TIMEOUT = 10

[mailer]
ENABLED = false

[cron]
ENABLED = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = %s
`, u.Username, dir, s.Ports["gitea"], s.GiteaURL, static, filepath.Join(dir, "data"),
		filepath.Join(dir, "gitea.db"), filepath.Join(dir, "repos"), randomHex(32), filepath.Join(dir, "log"))
	if err := os.WriteFile(conf, []byte(ini), 0o600); err != nil {
		return err
	}
	env := s.env(dir, Limits{Memory: 384 << 20},
		"GITEA_WORK_DIR="+dir,
		"GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true", // CI runs as root; ignored otherwise
	)
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config", conf, "--work-path", dir}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("gitea %s: %w\n%s", args[0], err, out)
		}
		return string(out), nil
	}
	if _, err := run("migrate"); err != nil {
		return err
	}
	if _, err := run("admin", "user", "create", "--admin", "--username", s.GiteaUser, "--password", s.GiteaPassword,
		"--email", s.GiteaUser+"@example.invalid", "--must-change-password=false"); err != nil {
		return err
	}
	p, err := s.spawn("gitea", bin, env, "--config", conf, "--work-path", dir, "web")
	if err != nil {
		return err
	}
	return waitFor(ctx, "gitea API", 90*time.Second, p, httpOK(http.DefaultClient, s.GiteaURL+"api/v1/version", ""))
}

// RepoURL is the clone URL of a repository of the hub's Gitea.
func (h *Hub) RepoURL(name string) string { return h.GiteaURL + GiteaOwner + "/" + name + ".git" }

// CreateRepo creates an empty public repository in Gitea with a push
// webhook to argocd-server, so a push refreshes the Applications syncing
// from it at once, as on a hub whose forge calls ArgoCD back. Creating an
// existing repository is not an error.
func (h *Hub) CreateRepo(ctx context.Context, name string) (string, error) {
	body := map[string]any{"name": name, "private": false, "default_branch": "main"}
	status, out, err := h.giteaAPI(ctx, http.MethodPost, "user/repos", body)
	if err != nil {
		return "", err
	}
	switch status {
	case http.StatusCreated:
	case http.StatusConflict:
		return h.RepoURL(name), nil
	default:
		return "", fmt.Errorf("gitea: create repository %s: %d %s", name, status, out)
	}
	hook := map[string]any{
		"type":   "gitea",
		"active": true,
		"events": []string{"push"},
		"config": map[string]string{"url": h.ArgoCDURL + "/api/webhook", "content_type": "json"},
	}
	status, out, err = h.giteaAPI(ctx, http.MethodPost, "repos/"+GiteaOwner+"/"+name+"/hooks", hook)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("gitea: webhook of %s: %d %s", name, status, out)
	}
	return h.RepoURL(name), nil
}

func (h *Hub) giteaAPI(ctx context.Context, method, path string, body any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, method, h.GiteaURL+"api/v1/"+path, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(h.GiteaUser, h.GiteaPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("gitea %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, strings.TrimSpace(out.String()), nil
}
