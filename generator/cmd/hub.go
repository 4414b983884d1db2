package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/hub"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/local"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
)

func init() { register(newHubCmd) }

func newHubCmd(s *Settings) *cobra.Command {
	c := &cobra.Command{
		Use:   "hub",
		Short: "Work with a live hub cluster (used by the hub:* tasks)",
	}
	var cluster string
	var dryRun bool
	var timeout time.Duration
	apply := &cobra.Command{
		Use:   "apply-root",
		Short: "Server-side apply the cluster's lab AppProject and root Application",
		Long: `apply-root applies clusters/<cluster>/projects/lab.yaml and
clusters/<cluster>/root.yaml to the cluster with server-side apply. From then
on ArgoCD syncs everything else from Git. It waits (up to --timeout) for
ArgoCD's CRDs to be served.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			objs, err := hub.Objects(root, cluster)
			if err != nil {
				return err
			}
			cfg, err := s.KubeConfig()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := hub.Apply(ctx, cfg, objs, dryRun); err != nil {
				return err
			}
			for _, o := range objs {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s %s/%s\n", o.GetKind(), o.GetNamespace(), o.GetName())
			}
			return nil
		},
	}
	apply.Flags().StringVar(&cluster, "cluster", "hub", "the cluster whose rendered root to apply")
	s.AddKubeFlags(apply.Flags())
	apply.Flags().BoolVar(&dryRun, "dry-run", false, "ask the API server to validate without persisting")
	apply.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for ArgoCD's CRDs")
	c.AddCommand(apply, newHubStatusCmd(s), newHubLocalCmd(s))
	return c
}

func newHubStatusCmd(s *Settings) *cobra.Command {
	var cluster string
	var watch, asJSON bool
	var interval time.Duration
	c := &cobra.Command{
		Use:   "status",
		Short: "Show what the hub runs: experiments, their Applications and k6 runs",
		Long: `status reads the hub's API (it changes nothing) and prints the root
Application and the lab's own Applications, then for each experiment its
ApplicationSet's rollout and its Applications in wave order, each with its
RollingSync step, sync status, health, revision and last sync operation with
its message, and the experiment's k6 runs (Jobs complete, failed, running).

Experiments the lab conducts on --cluster but the hub does not run yet are
listed too (the lab is read from --root when it can be). It works against
any cluster: a kind hub (--context kind-hub) or the local hub
(--kubeconfig, as printed by hub local up).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := hub.StatusOptions{Cluster: cluster}
			if root, err := s.Root(); err == nil {
				if src, err := load.Load(root); err == nil {
					opts.Conducted = append([]string{}, src.Lab.Conduct[cluster]...)
					opts.Namespace = src.Lab.ArgoCDNamespace
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: the lab could not be read (%v); showing the hub only\n", firstLine(err))
				}
			}
			cfg, err := s.KubeConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			tty := false
			if f, ok := out.(*os.File); ok {
				tty = term.IsTerminal(int(f.Fd()))
			}
			for {
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				st, err := hub.ReadStatus(ctx, cfg, opts)
				cancel()
				if err != nil {
					return err
				}
				if err := printStatus(out, st, asJSON, watch && tty); err != nil {
					return err
				}
				if !watch {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	f := c.Flags()
	f.StringVar(&cluster, "cluster", "hub", "the lab's cluster the hub is (its root Application is lab-<cluster>)")
	s.AddKubeFlags(f)
	f.BoolVarP(&watch, "watch", "w", false, "print again every --interval until interrupted")
	f.DurationVar(&interval, "interval", 2*time.Second, "how often --watch reads the hub")
	f.BoolVar(&asJSON, "json", false, "print JSON (one object a line with --watch)")
	return c
}

func printStatus(w io.Writer, st *hub.Status, asJSON, clear bool) error {
	if asJSON {
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if clear {
		fmt.Fprint(w, "\x1b[H\x1b[2J")
	}
	return st.Write(w)
}

func firstLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}

func newHubLocalCmd(s *Settings) *cobra.Command {
	c := &cobra.Command{
		Use:   "local",
		Short: "A hub on this machine without Docker: real Kubernetes and ArgoCD processes, kwok nodes, Gitea",
		Long: `local runs a hub on this machine, no containers needed: etcd, kube-apiserver,
kube-controller-manager and kube-scheduler, kwok nodes standing in for the
cluster's nodes (its node type and count, with that type's capacity), Redis,
Gitea serving the lab's repository and ArgoCD (repo server, application and
ApplicationSet controllers, API server) configured from the lab's argo-cd
values (progressive syncs on). Everything listens on 127.0.0.1 and lives in
the lab's cache folder (hub-local/). Pods do not run: kwok marks them
running, and completes Job pods.

The tools come from bash scripts/tools.sh (etcd kube-apiserver
kube-controller-manager kube-scheduler kwok argocd gitea helm kustomize) and
Debian's redis-server.`,
	}
	var cluster string
	var timeout time.Duration
	up := &cobra.Command{
		Use:   "up",
		Short: "Start the local hub, push the lab to its Gitea, apply the root, add git remote hub-local",
		Long: `up starts the local hub, writes phases/hub-local.cue (the lab's repoURL
pointing at its Gitea; ignored by git) and renders, pushes the working tree
there (as a commit of its own: your branch and index are left alone),
applies the cluster's root Application, and adds the Gitea repository as
git remote hub-local, whose pushes go to its main branch.

Then: edit CUE, go run ./generator conduct NAME, commit, git push hub-local,
and watch ArgoCD act (go run ./generator hub status --watch with the
printed kubeconfig). Gitea calls ArgoCD back on every push.

While the hub is up the tree renders for its Gitea, so commits carry that
URL: run hub local down (which renders the tree back) and commit before
opening a pull request. The processes keep running after up returns;
hub local down stops them and removes every file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			cache, err := s.Cache()
			if err != nil {
				return err
			}
			tools, err := local.FindTools(root, cache)
			if err != nil {
				return err
			}
			dir := filepath.Join(cache, "hub-local")
			out := cmd.OutOrStdout()
			res, err := local.Up(cmd.Context(), local.UpOptions{
				Root: root, Cluster: cluster, Dir: dir, Tools: tools, Detach: true, Log: out, Timeout: timeout,
			})
			if err != nil {
				return err
			}
			h := res.Hub
			fmt.Fprintf(out, `
local hub for cluster %[1]s is up; its files are in %[2]s
  kubeconfig  export KUBECONFIG=%[3]s
  status      go run ./generator hub status --cluster %[1]s --kubeconfig %[3]s --watch
  gitea       %[4]s (user %[5]s, password in %[2]s/state.json)
  argocd API  %[6]s (argocd --core app list with the kubeconfig above)
  git remote  %[7]s -> %[8]s (git push %[7]s pushes HEAD to its main)
  %[9]s points the lab at it (%[10]d rendered files changed); commits now carry its URL.
Next: edit CUE, go run ./generator conduct NAME, git commit, git push %[7]s.
Stop it with: go run ./generator hub local down
`, cluster, dir, h.Kubeconfig, h.GiteaURL, h.GiteaUser, h.ArgoCDURL, local.Remote, res.RepoURL, local.RepoURLFile, res.Rendered)
			return nil
		},
	}
	up.Flags().StringVar(&cluster, "cluster", "hub", "the lab's cluster the local hub stands in for")
	up.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up starting after this long")
	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the local hub, remove its files, the hub-local remote and phases/hub-local.cue, render back",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			cache, err := s.Cache()
			if err != nil {
				return err
			}
			dir := filepath.Join(cache, "hub-local")
			if err := local.Down(cmd.Context(), root, dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "local hub stopped; %s removed, remote %s and %s removed, tree rendered for the lab's own repository\n", dir, local.Remote, local.RepoURLFile)
			return nil
		},
	}
	c.AddCommand(up, down)
	return c
}
