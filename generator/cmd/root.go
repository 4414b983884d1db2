// Package cmd holds the generator's CLI: one file per verb, each a thin
// layer over the internal packages that do the work.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
)

// verbs are registered by each verb's file in init, so that verbs stay
// independent of each other and of this file.
var verbs []func(*Settings) *cobra.Command

func register(f func(*Settings) *cobra.Command) { verbs = append(verbs, f) }

// Settings are what every verb shares: the repository root, the cache
// folder and, for the verbs that talk to a cluster, the kubeconfig.
type Settings struct {
	root        string
	kubeconfig  string
	kubeContext string
}

// Root is the repository root holding cue.mod/ and phases/, absolute.
func (s *Settings) Root() (string, error) {
	abs, err := filepath.Abs(s.root)
	if err != nil {
		return "", fmt.Errorf("--root %s: %w", s.root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("--root %s: %w", s.root, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("--root %s is not a folder", s.root)
	}
	return abs, nil
}

// Cache is the lab's cache folder (or a subfolder of it).
func (s *Settings) Cache(sub ...string) (string, error) { return cachedir.Dir(os.Getenv, sub...) }

// AddKubeFlags adds --kubeconfig and --context to a verb that talks to a
// cluster.
func (s *Settings) AddKubeFlags(f *pflag.FlagSet) {
	f.StringVar(&s.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&s.kubeContext, "context", "", "kubeconfig context (default: the current one)")
}

// KubeConfig is the client configuration --kubeconfig and --context name.
func (s *Settings) KubeConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = s.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: s.kubeContext}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// NewRoot builds the command tree.
func NewRoot() *cobra.Command {
	s := &Settings{}
	root := &cobra.Command{
		Use:   "generator",
		Short: "Compile the lab's CUE into GitOps manifests and collect benchmark results",
		Long: `generator is the lab's one program.

It reads the lab described in CUE (cue.mod/, schema/, phases/), renders the
committed GitOps tree (clusters/, apps/, policies/, benchmarks/) and checks it,
and turns load-test and Prometheus output into versioned results with
statistics and cost.

Run it from the repository root, or pass --root.

Exit status: 0 when the verb did what it says, 1 when it failed (the message
says what was and was not changed), 2 for a usage error, 130 when
interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&s.root, "root", ".", "repository root holding cue.mod/ and phases/")
	cmds := make([]*cobra.Command, 0, len(verbs))
	for _, f := range verbs {
		cmds = append(cmds, f(s))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	markUsage(root)
	return root
}

// markUsage makes flag and argument errors of every verb usage errors.
func markUsage(c *cobra.Command) {
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsage(sub)
	}
}

// usageError is a command line the verb cannot take.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Execute runs the CLI with a context that an interrupt or SIGTERM
// cancels, the same for every verb, and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A closed pipe (generator ... | head) is a write error the verb
	// handles, stopping what it started, rather than a silent death.
	signal.Ignore(syscall.SIGPIPE)
	err := NewRoot().ExecuteContext(ctx)
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "error: interrupted:", err)
		return 130
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return 2
	}
	return 1
}
