// Package render turns the loaded lab into the GitOps tree: one pure
// function from the model to a tree.Tree of files. It writes nothing; the
// tree package does.
package render

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/argocd"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/benchjobs"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/dashboards"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kustomize"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kyverno"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/yamlenc"
)

// Options tune a render.
type Options struct {
	// Concurrency bounds the charts rendered at once (0: one per CPU);
	// the output does not depend on it.
	Concurrency int
}

// Lab renders the whole tree of a loaded lab.
func Lab(src *load.Source, opts Options) (*tree.Tree, error) {
	r := &renderer{src: src, lab: src.Lab, t: tree.New(), opts: opts}
	if err := r.run(); err != nil {
		return nil, err
	}
	return r.t, nil
}

type renderer struct {
	src  *load.Source
	lab  *model.Lab
	t    *tree.Tree
	opts Options
}

func (r *renderer) run() error {
	exps := r.lab.Experiments()
	for _, e := range exps {
		if err := r.experiment(e); err != nil {
			return fmt.Errorf("experiment %s (%s): %w", e.Name, e.Source, err)
		}
	}
	// Rendered charts: plain manifests per component (docs/adr/0008-*).
	if err := renderCharts(context.Background(), r.src.Root, r.lab, exps, r.t, r.opts); err != nil {
		return err
	}
	if err := benchjobs.Render(r.lab, exps, r.t); err != nil {
		return err
	}
	if err := kyverno.Render(r.lab, r.t); err != nil {
		return err
	}
	if err := dashboards.Render(r.lab, exps, r.t); err != nil {
		return err
	}
	if err := r.discovery(); err != nil {
		return err
	}
	byName := map[string]*model.Experiment{}
	for _, e := range exps {
		byName[e.Name] = e
	}
	for _, cn := range slices.Sorted(maps.Keys(r.lab.Clusters)) {
		if err := r.cluster(r.lab.Clusters[cn], byName); err != nil {
			return fmt.Errorf("cluster %s: %w", cn, err)
		}
	}
	return nil
}

// experiment writes apps/<phase>/<experiment>/: its namespaces, one values
// file per component and the kustomization ArgoCD syncs the namespaces from.
func (r *renderer) experiment(e *model.Experiment) error {
	dir := e.Dir()
	var nsDocs [][]byte
	for _, ns := range e.Namespaces() {
		variant := e.VariantOfNamespace(ns)
		l := r.lab.CostLabels(e, variant, "")
		for k, v := range e.NamespaceLabels {
			l[k] = v
		}
		if v := e.Variants[variant]; v != nil {
			for k, val := range v.NamespaceLabels {
				l[k] = val
			}
		}
		l[labels.ManagedBy] = "argocd"
		l[labels.PodSecurityEnforce] = e.PodSecurity
		l[labels.PodSecurityWarn] = "restricted"
		obj := &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l},
		}
		b, err := Encode(obj)
		if err != nil {
			return err
		}
		nsDocs = append(nsDocs, b)
	}
	if err := r.t.Add(dir+"/namespaces.yaml", e.Source, bytes.Join(nsDocs, []byte("---\n"))); err != nil {
		return err
	}
	// The experiment's labels, applied by the kustomize build ArgoCD runs.
	kl := r.lab.CostLabels(e, "", "")
	b, err := kustomize.Kustomization([]string{"namespaces.yaml"}, kustomize.Spec{Labels: kl})
	if err != nil {
		return err
	}
	if err := r.t.Add(dir+"/kustomization.yaml", e.Source, b); err != nil {
		return err
	}
	for _, u := range e.Units() {
		vals := u.Component.Values
		if vals == nil {
			vals = map[string]any{}
		}
		b, err := EncodeValue(vals)
		if err != nil {
			return fmt.Errorf("values of %s: %w", u.Component.Name, err)
		}
		if err := r.t.Add(u.ValuesFile(), e.Source, b); err != nil {
			return err
		}
	}
	return nil
}

// cluster writes clusters/<cluster>/: the root Application, the projects,
// one ApplicationSet per switched-on experiment and OCI repositories.
func (r *renderer) cluster(cl *model.Cluster, byName map[string]*model.Experiment) error {
	dir := "clusters/" + cl.Name
	labSource := r.lab.Files.Lab
	conducted := r.lab.Conduct[cl.Name]
	byPhase := map[string][]*model.Experiment{}
	ociRepos := map[string]bool{}
	for _, en := range conducted {
		e := byName[en]
		byPhase[e.Phase] = append(byPhase[e.Phase], e)
		as := argocd.ExperimentAppSet(r.lab, cl, e)
		if err := r.add(dir+"/experiments/"+e.Name+".yaml", e.Source, as); err != nil {
			return err
		}
		for _, u := range e.Units() {
			if c := u.Component.Chart; c != nil && c.IsOCI() {
				ociRepos[c.HelmRepoURL()] = true
			}
		}
	}
	if err := r.add(dir+"/root.yaml", labSource, argocd.RootApp(r.lab, cl)); err != nil {
		return err
	}
	if err := r.add(dir+"/projects/"+argocd.RootProject+".yaml", labSource, argocd.RootProjectFor(r.lab, cl)); err != nil {
		return err
	}
	if len(r.lab.Policies) > 0 {
		if err := r.add(dir+"/policies.yaml", r.lab.Files.Policies, argocd.PoliciesApp(r.lab, cl)); err != nil {
			return err
		}
	}
	for _, pn := range slices.Sorted(maps.Keys(byPhase)) {
		exps := byPhase[pn]
		sort.Slice(exps, func(i, j int) bool { return exps[i].Name < exps[j].Name })
		if err := r.add(dir+"/projects/"+pn+".yaml", exps[0].Source, argocd.Project(r.lab, cl, r.lab.Phases[pn], exps)); err != nil {
			return err
		}
	}
	for _, repo := range slices.Sorted(maps.Keys(ociRepos)) {
		name := "oci-" + dnsName(repo)
		sec := &corev1.Secret{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{
				Name:      name,
				Namespace: r.lab.ArgoCDNamespace,
				Labels: map[string]string{
					labels.ArgoSecretType: "repository",
					labels.PartOf:         r.lab.Name,
				},
				Annotations: map[string]string{labels.ArgoSyncWave: "-1"},
			},
			// A public OCI Helm registry: no credentials, only its address.
			StringData: map[string]string{"type": "helm", "name": name, "url": repo, "enableOCI": "true"},
		}
		if err := r.add(dir+"/repositories/"+name+".yaml", r.lab.Files.Conduct, sec); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) add(path, source string, obj any) error {
	b, err := Encode(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return r.t.Add(path, source, b)
}

// Encode writes an object as YAML with sorted keys (see yamlenc.Encode).
func Encode(obj any) ([]byte, error) { return yamlenc.Encode(obj) }

// EncodeValue writes free-form data as YAML with sorted keys.
func EncodeValue(v any) ([]byte, error) { return yamlenc.Value(v) }

func dnsName(s string) string {
	b := []byte(s)
	out := make([]byte, 0, len(b))
	dash := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
			dash = false
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
			dash = false
		default:
			if !dash && len(out) > 0 {
				out = append(out, '-')
				dash = true
			}
		}
	}
	for len(out) > 0 && out[len(out)-1] == '-' {
		out = out[:len(out)-1]
	}
	if len(out) > 50 {
		out = out[:50]
	}
	return string(out)
}
