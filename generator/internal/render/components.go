package render

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/charts"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/helm"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kustomize"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// Rendered charts: every component rendered by the generator becomes one
// folder of plain manifests (Unit.RenderedDir), labelled through a
// kustomize build; see docs/adr/0008-rendered-manifests.md. The helm
// package renders one chart, kustomize labels its objects, this file runs
// them for the lab in parallel, through the render cache.

// renderCharts renders every rendered component of exps into t: one folder per
// component (Unit.RenderedDir) holding one file per object and the
// kustomization that built them. Components render in parallel; files are added in a fixed
// order, so the tree does not depend on scheduling. Every failing
// component is reported, in order.
func renderCharts(ctx context.Context, root string, lab *model.Lab, exps []*model.Experiment, t *tree.Tree, opts Options) error {
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
	kv, err := helm.KubeVersion(lab)
	if err != nil {
		return err
	}
	caps, err := helm.Capabilities(kv)
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
			// The archive's digest: a chart re-vendored under the same
			// version is another chart.
			ref := charts.Ref{Repository: c.Chart.Repository, Name: c.Chart.Name, Version: c.Chart.Version}
			b, err := cache.Archive(ref)
			if err != nil {
				return fmt.Errorf("%s: experiment %s, component %s: %w", j.e.Source, j.e.Name, j.u.Where(), err)
			}
			chartID = []any{ref, charts.Sum(b)}
		}
		if keys[i], err = rc.key(chartID, c.Values, c.Name, j.u.Namespace, chartLabels(lab, j.e, j.u), kv); err != nil {
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
	vals, err := helm.Values(c.Values)
	if err != nil {
		return nil, err
	}
	out, err := helm.Render(ch, vals, helm.Release{Name: c.Name, Namespace: u.Namespace}, caps)
	if err != nil {
		return nil, err
	}
	objs, err := out.Objects()
	if err != nil {
		return nil, err
	}
	return &kustomize.Dir{Objects: helm.ArgoHooks(objs), Spec: kustomize.Spec{
		Namespace:   u.Namespace,
		Labels:      chartLabels(lab, e, u),
		Annotations: map[string]string{labels.Chart: ch.Name() + "-" + ch.Metadata.Version},
	}}, nil
}

// chartLabels are the lab's cost-allocation labels a rendered component's
// objects carry: phase, experiment, variant, component and cost center.
// app.kubernetes.io/part-of is left to the chart: charts select on it.
func chartLabels(lab *model.Lab, e *model.Experiment, u model.Unit) map[string]string {
	l := lab.CostLabels(e, model.VariantLabel(u.Variant), u.Component.Name)
	delete(l, labels.PartOf)
	return l
}
