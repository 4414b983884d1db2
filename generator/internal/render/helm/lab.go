package helm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/charts"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kustomize"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// Options tune the rendering of a lab's charts.
type Options struct {
	// Concurrency bounds the components rendered at once; 0 is GOMAXPROCS.
	Concurrency int
}

// Lab renders every rendered component of exps into t: one folder per
// component (Unit.RenderedDir) holding one file per object and the
// kustomization that built them. Components render in parallel; files are added in a fixed
// order, so the tree does not depend on scheduling. Every failing
// component is reported, in order.
func Lab(ctx context.Context, root string, lab *model.Lab, exps []*model.Experiment, t *tree.Tree, opts Options) error {
	type job struct {
		e     *model.Experiment
		u     model.Unit
		local bool
	}
	var jobs []job
	var errs []error
	needCache := false
	for _, e := range exps {
		for _, u := range e.Units() {
			c := u.Component
			local := c.LocalChart
			if !c.IsRendered() {
				continue
			}
			needCache = needCache || c.Chart != nil
			jobs = append(jobs, job{e: e, u: u, local: local})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(jobs) == 0 {
		return nil
	}
	kv, err := KubeVersion(lab)
	if err != nil {
		return err
	}
	caps, err := Capabilities(kv)
	if err != nil {
		return err
	}
	var cache *charts.Cache
	if needCache {
		if cache, err = charts.Open(root); err != nil {
			return err
		}
	}

	rc := openRenderCache()
	keys := make([]string, len(jobs))
	built := make([][]kustomize.File, len(jobs))
	var misses []int
	for i, j := range jobs {
		c := j.u.Component
		if rc.dir == "" {
			misses = append(misses, i)
			continue
		}
		var chartID any
		if j.local {
			h, err := rc.chartHash(filepath.Join(root, filepath.FromSlash(c.Path)))
			if err != nil {
				return err
			}
			chartID = h
		} else {
			chartID = charts.Ref{Repository: c.Chart.Repository, Name: c.Chart.Name, Version: c.Chart.Version}
		}
		if keys[i], err = rc.key(chartID, c.Values, c.Name, j.u.Namespace, CostLabels(lab, j.e, j.u), kv); err != nil {
			return err
		}
		if files, ok := rc.get(keys[i]); ok {
			built[i] = files
			continue
		}
		misses = append(misses, i)
	}

	results := make([]kustomize.Dir, len(jobs))
	jobErrs := make([]error, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	limit := opts.Concurrency
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(limit)
	for _, i := range misses {
		j := jobs[i]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				jobErrs[i] = err
				return nil
			}
			d, err := component(root, lab, j.e, j.u, j.local, cache, caps)
			if err != nil {
				jobErrs[i] = fmt.Errorf("%s: experiment %s, component %s: %w", j.e.Source, j.e.Name, j.u.Where(), err)
			}
			results[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := errors.Join(jobErrs...); err != nil {
		return err
	}
	// Kustomize builds run together after the charts (see BuildAll).
	if len(misses) > 0 {
		dirs := make([]kustomize.Dir, len(misses))
		for k, i := range misses {
			dirs[k] = results[i]
		}
		fresh, err := kustomize.BuildAll(dirs)
		if err != nil {
			return err
		}
		for k, i := range misses {
			built[i] = fresh[k]
			rc.put(keys[i], fresh[k])
		}
	}
	for i, j := range jobs {
		dir := j.u.RenderedDir()
		for _, f := range built[i] {
			if err := t.Add(dir+"/"+f.Name, j.e.Source, f.Body); err != nil {
				return err
			}
		}
	}
	return nil
}

// component renders one component's chart with its values and maps its
// hooks: the folder to build with kustomize.
func component(root string, lab *model.Lab, e *model.Experiment, u model.Unit, local bool, cache *charts.Cache, caps *chartutil.Capabilities) (kustomize.Dir, error) {
	d, err := renderComponent(root, lab, e, u, local, cache, caps)
	if err != nil {
		return kustomize.Dir{}, err
	}
	return *d, nil
}

func renderComponent(root string, lab *model.Lab, e *model.Experiment, u model.Unit, local bool, cache *charts.Cache, caps *chartutil.Capabilities) (*kustomize.Dir, error) {
	c := u.Component
	var ch *chart.Chart
	var err error
	if local {
		ch, err = loader.LoadDir(filepath.Join(root, filepath.FromSlash(c.Path)))
		if err != nil {
			return nil, fmt.Errorf("loading chart %s: %w", c.Path, err)
		}
	} else {
		ch, err = cache.Load(charts.Ref{Repository: c.Chart.Repository, Name: c.Chart.Name, Version: c.Chart.Version})
		if err != nil {
			return nil, err
		}
	}
	vals, err := Values(c.Values)
	if err != nil {
		return nil, err
	}
	out, err := Render(ch, vals, Release{Name: c.Name, Namespace: u.Namespace}, caps)
	if err != nil {
		return nil, err
	}
	objs, err := out.Objects()
	if err != nil {
		return nil, err
	}
	return &kustomize.Dir{Objects: ArgoHooks(objs), Spec: kustomize.Spec{
		Namespace:   u.Namespace,
		Labels:      CostLabels(lab, e, u),
		Annotations: map[string]string{labels.Chart: ch.Name() + "-" + ch.Metadata.Version},
	}}, nil
}

// Values turns a component's values into what Helm reads from the values
// file ArgoCD would pass: the same YAML-through-JSON decoding (numbers
// become float64, as in helm -f), and a copy the chart cannot mutate.
func Values(v map[string]any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	vals, err := chartutil.ReadValues(b)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return vals, nil
}

// CostLabels are the lab's cost-allocation labels a rendered component's
// objects carry: phase, experiment, variant, component and cost center.
// app.kubernetes.io/part-of is left to the chart: charts select on it.
func CostLabels(lab *model.Lab, e *model.Experiment, u model.Unit) map[string]string {
	l := lab.CostLabels(e, model.VariantLabel(u.Variant), u.Component.Name)
	delete(l, labels.PartOf)
	return l
}

// KubeVersion is the Kubernetes version charts are rendered for: the
// oldest of the lab's clusters, since one rendered folder serves every
// cluster that conducts the experiment and a chart gating on the version
// must not pick an API the oldest cluster lacks.
func KubeVersion(lab *model.Lab) (string, error) {
	var oldest *version.Version
	var s string
	for _, name := range sortedNames(lab.Clusters) {
		cl := lab.Clusters[name]
		v, err := version.ParseSemantic(cl.KubernetesVersion)
		if err != nil {
			return "", fmt.Errorf("cluster %s: kubernetesVersion %q: %w", name, cl.KubernetesVersion, err)
		}
		if oldest == nil || v.LessThan(oldest) {
			oldest, s = v, cl.KubernetesVersion
		}
	}
	if oldest == nil {
		return "", fmt.Errorf("the lab has no cluster to render charts for")
	}
	return s, nil
}

func sortedNames(m map[string]*model.Cluster) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
