package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/hub"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
)

// RepoURLFile is the CUE file that points the lab at the local hub's Gitea,
// as a fork's phases/lab.cue points it at the fork. The repository ignores
// it (.gitignore): it exists only while a local hub is up.
const RepoURLFile = "phases/hub-local.cue"

// Remote is the git remote of the working repository that pushes to the
// local hub.
const Remote = "hub-local"

// UpOptions say how to bring a local hub up for the lab at Root.
type UpOptions struct {
	// Root is the lab's working repository (a git checkout).
	Root string
	// Cluster is the lab's cluster the hub stands in for (default hub).
	Cluster string
	// Dir holds the hub (under the lab's cache folder).
	Dir   string
	Tools Tools
	// Detach lets the hub outlive this process.
	Detach bool
	// Log gets progress lines.
	Log     io.Writer
	Timeout time.Duration
}

// UpResult is a hub that is up, with the lab pushed and its root applied.
type UpResult struct {
	Hub *Hub
	// RepoURL is the lab's repository in the hub's Gitea; Revision the
	// commit pushed there first.
	RepoURL, Revision string
	// Rendered is how many files the render with the hub's URL changed.
	Rendered int
}

// Up starts a local hub standing in for cluster, points the lab at its
// Gitea (RepoURLFile) and renders, pushes the working tree there as a
// commit of its own (the checkout's branch and index are left alone),
// applies the cluster's root, and adds the Gitea repository as git remote
// `hub-local` (pushing HEAD to its main). From then on a commit pushed with
// `git push hub-local` is what ArgoCD syncs.
func Up(ctx context.Context, o UpOptions) (res *UpResult, err error) {
	if o.Cluster == "" {
		o.Cluster = "hub"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if _, err := git(ctx, o.Root, nil, "rev-parse", "--show-toplevel"); err != nil {
		return nil, fmt.Errorf("%s is not a git checkout: %w", o.Root, err)
	}
	src, err := load.Load(o.Root)
	if err != nil {
		return nil, err
	}
	cl, ok := src.Lab.Clusters[o.Cluster]
	if !ok {
		return nil, fmt.Errorf("no cluster %q in the lab", o.Cluster)
	}
	nodes, err := ClusterNodes(cl)
	if err != nil {
		return nil, err
	}
	settings, err := LabSettings(src.Lab, o.Cluster)
	if err != nil {
		return nil, err
	}
	if settings.From != "" {
		fmt.Fprintf(o.Log, "ArgoCD settings from the values of %s\n", settings.From)
	}
	h, err := Start(ctx, Options{Dir: o.Dir, Tools: o.Tools, Nodes: nodes, ArgoCD: settings, Detach: o.Detach, Log: o.Log, Timeout: o.Timeout})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Stop(), restoreURLFile(o.Root))
		}
	}()
	res = &UpResult{Hub: h}
	err = h.step("lab pushed to gitea", func() error {
		if res.RepoURL, err = h.CreateRepo(ctx, src.Lab.Name); err != nil {
			return err
		}
		if err := writeURLFile(o.Root, res.RepoURL); err != nil {
			return err
		}
		out, err := render.Run{Root: o.Root}.Write()
		if err != nil {
			return fmt.Errorf("rendering the lab for the local hub: %w", err)
		}
		res.Rendered = out.Stats.Written + out.Stats.Pruned
		res.Revision, err = pushWorkTree(ctx, o.Root, h, res.RepoURL)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = h.step("root applied", func() error {
		objs, err := hub.Objects(o.Root, o.Cluster)
		if err != nil {
			return err
		}
		return hub.Apply(ctx, h.Config(), objs, false)
	})
	if err != nil {
		return nil, err
	}
	if err := h.addRemote(ctx, o.Root, res.RepoURL); err != nil {
		return nil, err
	}
	return res, h.save()
}

// Down stops the hub in dir, removes the `hub-local` remote and the
// repository URL file, and renders the lab back for its own repository.
// A hub that is not there (already down) is only cleaned up after.
func Down(ctx context.Context, root, dir string) error {
	var errs []error
	if h, err := Attach(dir); err == nil {
		errs = append(errs, h.Stop())
	} else if !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err, os.RemoveAll(dir))
	}
	errs = append(errs, removeRemote(ctx, root), restoreURLFile(root))
	if _, err := os.Stat(filepath.Join(root, "cue.mod")); err == nil {
		if _, err := (render.Run{Root: root}).Write(); err != nil {
			errs = append(errs, fmt.Errorf("rendering the lab back for its own repository: %w", err))
		}
	}
	return errors.Join(errs...)
}

func writeURLFile(root, url string) error {
	b := fmt.Sprintf(`// Written by `+"`generator hub local up`"+` and removed by `+"`generator hub local down`"+`;
// not committed (.gitignore). It points the lab at the local hub's Gitea, as a
// fork's phases/lab.cue points it at the fork.
package phases

lab: repoURL: %s
`, strconv.Quote(url))
	return os.WriteFile(filepath.Join(root, RepoURLFile), []byte(b), 0o644)
}

func restoreURLFile(root string) error {
	err := os.Remove(filepath.Join(root, RepoURLFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// pushWorkTree commits the working tree (tracked and untracked files the
// repository does not ignore) through a temporary index on top of HEAD and
// pushes that commit to the hub's main. The checkout's branch, index and
// files stay as they are.
func pushWorkTree(ctx context.Context, root string, h *Hub, url string) (string, error) {
	index := filepath.Join(h.Dir, "git-index")
	defer os.Remove(index)
	env := []string{"GIT_INDEX_FILE=" + index}
	head, headErr := git(ctx, root, nil, "rev-parse", "--verify", "--quiet", "HEAD")
	if headErr == nil {
		if _, err := git(ctx, root, env, "read-tree", head); err != nil {
			return "", err
		}
	}
	if _, err := git(ctx, root, env, "add", "-A", "."); err != nil {
		return "", err
	}
	tree, err := git(ctx, root, env, "write-tree")
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", tree, "-m", "The lab as rendered for the local hub (generator hub local up)"}
	if headErr == nil {
		args = append(args, "-p", head)
	}
	commit, err := git(ctx, root, identity(ctx, root), args...)
	if err != nil {
		return "", err
	}
	if _, err := git(ctx, root, h.pushAuth(), "push", "--force", "--quiet", url, commit+":refs/heads/main"); err != nil {
		return "", err
	}
	return commit, nil
}

// identity is a committer for a checkout without one configured.
func identity(ctx context.Context, root string) []string {
	if out, err := git(ctx, root, nil, "config", "user.email"); err == nil && out != "" {
		return nil
	}
	return []string{"GIT_AUTHOR_NAME=illm-lab", "GIT_AUTHOR_EMAIL=lab@example.invalid",
		"GIT_COMMITTER_NAME=illm-lab", "GIT_COMMITTER_EMAIL=lab@example.invalid"}
}

// pushAuth is git's environment for one authenticated push: the Gitea
// credentials as an HTTP header given through the environment, never on
// the command line or in a config file.
func (h *Hub) pushAuth() []string {
	auth := base64.StdEncoding.EncodeToString([]byte(h.GiteaUser + ":" + h.GiteaPassword))
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http." + h.GiteaURL + ".extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + auth, "GIT_TERMINAL_PROMPT=0"}
}

// credentialsFile holds the Gitea login for the hub-local remote (git's
// store credential helper format), in the hub's folder.
func (h *Hub) credentialsFile() string { return filepath.Join(h.Dir, "git-credentials") }

// addRemote adds (or moves) the hub-local remote: pushes go to the hub's
// main whatever the branch (+HEAD:refs/heads/main), authenticated by a
// credential helper reading the hub's credentials file.
func (h *Hub) addRemote(ctx context.Context, root, url string) error {
	cred := strings.TrimSuffix(h.GiteaURL, "/")
	line := "http://" + h.GiteaUser + ":" + h.GiteaPassword + "@" + strings.TrimPrefix(cred, "http://") + "\n"
	if err := os.WriteFile(h.credentialsFile(), []byte(line), 0o600); err != nil {
		return err
	}
	_ = removeRemote(ctx, root)
	for _, args := range [][]string{
		{"remote", "add", Remote, url},
		{"config", "remote." + Remote + ".push", "+HEAD:refs/heads/main"},
		{"config", "credential." + cred + ".helper", ""},
		{"config", "--add", "credential." + cred + ".helper", "store --file=" + h.credentialsFile()},
	} {
		if _, err := git(ctx, root, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

// removeRemote removes the hub-local remote and the credential helper it
// was given.
func removeRemote(ctx context.Context, root string) error {
	url, err := git(ctx, root, nil, "remote", "get-url", Remote)
	if err != nil {
		return nil // no such remote
	}
	if i := strings.Index(url, "/"+GiteaOwner+"/"); i > 0 {
		_, _ = git(ctx, root, nil, "config", "--remove-section", "credential."+url[:i])
	}
	_, err = git(ctx, root, nil, "remote", "remove", Remote)
	return err
}

// git runs git in dir with extra environment and returns its trimmed
// standard output.
func git(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}
