// Package pins lists every version the lab pins itself: the Helm charts
// of its components, the container images written in their values, and
// the pins outside CUE (Go constants naming images, the test tools of
// hack/tools/tools.tsv, Dockerfile base images, the values of the lab's
// own charts, the ArgoCD bootstrap, the modules whose CRDs validation
// vendors). docs/chart-pins.md records where each
// one was confirmed upstream and renovate.json keeps them fresh; the tests
// of this package keep both in step with this list.
package pins

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Kinds of pin.
const (
	Chart    = "chart"    // a Helm chart of a component
	Image    = "image"    // a container image
	Module   = "module"   // a Go module (a pinned test tool)
	Manifest = "manifest" // an upstream manifest applied by version (the ArgoCD bootstrap)
	CRDs     = "crds"     // CRDs vendored from a Go module for offline validation
)

// Renovate managers that keep a pin fresh ("" when none does: see Pin.Untracked).
const (
	ManagerRegex      = "custom.regex"
	ManagerDockerfile = "dockerfile"
)

// OwnRegistry is where the lab publishes the images it builds itself
// (.github/workflows/images.yml); their tags follow the lab's releases.
const OwnRegistry = "ghcr.io/illm-k8s-ai-lab/"

// Pin is one pinned version, with what Renovate needs to look it up.
type Pin struct {
	Kind       string
	Name       string // chart name, image repository, Go module path, manifest name
	Version    string // chart version, image tag, module version
	Digest     string // image digest ("sha256:..."), when pinned by digest too
	Repository string // chart repository URL (charts only)

	Datasource  string // Renovate datasource: helm, docker, go ("" when untracked)
	PackageName string // lookup name when it differs from Name (OCI charts, replaced modules)
	Manager     string // the Renovate manager that finds it ("" when untracked)
	Untracked   string // why no manager updates it

	Uses []string // where the lab uses it: component paths or repository files
}

// Key identifies a pin: a chart by repository and name, anything else by
// name; two versions of one name are two pins.
func (p Pin) Key() string {
	k := p.Kind + " " + p.Name + " " + p.Version
	if p.Digest != "" {
		k += "@" + p.Digest
	}
	if p.Repository != "" {
		k += " " + p.Repository
	}
	return k
}

// Ref is the pin as one would write it: repo:tag[@digest], name version.
func (p Pin) Ref() string {
	switch p.Kind {
	case Image:
		r := p.Name
		if p.Version != "" {
			r += ":" + p.Version
		}
		if p.Digest != "" {
			r += "@" + p.Digest
		}
		return r
	case Chart:
		return p.Repository + " " + p.Name + " " + p.Version
	}
	return p.Name + " " + p.Version
}

// All lists every pin of the lab loaded from src and of the repository
// around it (src.Root), sorted by kind and name.
func All(src *load.Source) ([]Pin, error) {
	var s set
	fromLab(&s, src.Root, src.Lab)
	if err := fromRepo(&s, src.Root); err != nil {
		return nil, err
	}
	return s.sorted(), nil
}

// set collects pins by key, merging their uses.
type set struct{ m map[string]*Pin }

func (s *set) add(p Pin, use string) {
	if s.m == nil {
		s.m = map[string]*Pin{}
	}
	k := p.Key()
	if have, ok := s.m[k]; ok {
		if !slices.Contains(have.Uses, use) {
			have.Uses = append(have.Uses, use)
		}
		return
	}
	p.Uses = []string{use}
	s.m[k] = &p
}

func (s *set) sorted() []Pin {
	out := make([]Pin, 0, len(s.m))
	for _, k := range slices.Sorted(maps.Keys(s.m)) {
		p := *s.m[k]
		slices.Sort(p.Uses)
		out = append(out, p)
	}
	return out
}

func fromLab(s *set, root string, lab *model.Lab) {
	localCharts := map[string]bool{}
	visit := func(where string, cs map[string]*model.Component) {
		for _, cn := range slices.Sorted(maps.Keys(cs)) {
			c := cs[cn]
			use := where + "." + cn
			if c.Chart != nil {
				s.add(chartPin(*c.Chart), use)
			}
			if c.Chart == nil && c.Path != "" {
				localCharts[c.Path] = true
				if ref := appImage(root, c); ref != "" {
					s.add(imagePin(ref, ""), use)
				}
			}
			for _, ref := range imagesIn(c.Values) {
				s.add(imagePin(ref, ManagerRegex), use)
			}
			for _, o := range c.Overrides {
				for _, ref := range imagesIn(o) {
					s.add(imagePin(ref, ManagerRegex), use)
				}
			}
		}
	}
	for _, pn := range slices.Sorted(maps.Keys(lab.Phases)) {
		ph := lab.Phases[pn]
		for _, en := range slices.Sorted(maps.Keys(ph.Experiments)) {
			e := ph.Experiments[en]
			visit(e.Name, e.Components)
			for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
				visit(e.Name+"/"+vn, e.Variants[vn].Components)
			}
		}
	}
	for _, sh := range lab.SharedSets() {
		visit("shared/"+sh.Name, sh.Components)
	}
	// The lab's own charts: the images their values.yaml pins.
	for _, p := range slices.Sorted(maps.Keys(localCharts)) {
		file := path.Join(p, "values.yaml")
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			continue // not a chart of its own (the loader checks paths)
		}
		var values map[string]any
		if yaml.Unmarshal(b, &values) != nil {
			continue
		}
		for _, ref := range imagesIn(values) {
			s.add(imagePin(ref, ManagerRegex), file)
		}
	}
	if d := lab.Discovery; d != nil && d.Image.Tag != "" {
		s.add(imagePin(d.Image.Ref(), ManagerRegex), "lab.discovery.image")
	}
}

// appImage is the image the lab's app chart (apps/runtimes/chart) runs
// for a component that leaves image.repository unset: the chart's default
// OwnRegistry + "runtime-<runtime>", tagged with the chart's appVersion.
func appImage(root string, c *model.Component) string {
	runtime, _ := c.Values["runtime"].(string)
	if runtime == "" {
		return ""
	}
	if img, _ := c.Values["image"].(map[string]any); img != nil {
		if r, _ := img["repository"].(string); r != "" {
			return ""
		}
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(c.Path), "Chart.yaml"))
	if err != nil {
		return ""
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if yaml.Unmarshal(b, &chart) != nil || chart.AppVersion == "" {
		return ""
	}
	return OwnRegistry + "runtime-" + runtime + ":" + chart.AppVersion
}

func chartPin(c model.Chart) Pin {
	p := Pin{Kind: Chart, Name: c.Name, Version: c.Version, Repository: c.Repository, Manager: ManagerRegex, Datasource: "helm"}
	if reg, ok := strings.CutPrefix(c.Repository, "oci://"); ok {
		// An OCI chart is an artifact in a container registry.
		p.Datasource, p.PackageName = "docker", strings.TrimSuffix(reg, "/")+"/"+c.Name
	}
	return p
}

// imagePin turns repo[:tag][@digest] into a pin found by manager; the
// lab's own images are released with the lab, not looked up.
func imagePin(ref, manager string) Pin {
	name, tag, digest := SplitImage(ref)
	p := Pin{Kind: Image, Name: name, Version: tag, Digest: digest, Datasource: "docker", Manager: manager}
	if strings.HasPrefix(name, OwnRegistry) {
		p.Datasource, p.Manager = "", ""
		p.Untracked = "built and tagged by this repository (.github/workflows/images.yml)"
	}
	return p
}

// SplitImage splits an image reference into repository, tag and digest.
func SplitImage(ref string) (name, tag, digest string) {
	name = ref
	if i := strings.Index(name, "@"); i >= 0 {
		name, digest = name[:i], name[i+1:]
	}
	if i := strings.LastIndex(name, ":"); i >= 0 && !strings.Contains(name[i:], "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// imagesIn finds the image references in Helm values: an image or
// imageName string, or an image map (a key ending in "image") whose
// repository and tag sit side by side. Chart defaults are not seen: only
// what the lab writes.
func imagesIn(v any) []string {
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			repo, _ := t["repository"].(string)
			tag, _ := t["tag"].(string)
			if repo != "" && strings.HasSuffix(strings.ToLower(key), "image") && !strings.Contains(repo, "://") {
				ref := repo
				if tag != "" {
					ref += ":" + tag
				}
				if d, _ := t["digest"].(string); d != "" {
					ref += "@" + d
				}
				out = append(out, ref)
			}
			for _, k := range slices.Sorted(maps.Keys(t)) {
				if s, ok := t[k].(string); ok && (k == "image" || k == "imageName") && s != "" {
					out = append(out, s)
					continue
				}
				walk(k, t[k])
			}
		case []any:
			for _, e := range t {
				walk(key, e)
			}
		}
	}
	walk("", v)
	return out
}

func fromRepo(s *set, root string) error {
	steps := []func(*set, string) error{goImages, tools, dockerfiles, bootstrap, vendoredCRDs}
	for _, step := range steps {
		if err := step(s, root); err != nil {
			return err
		}
	}
	return nil
}

// skipDir are directories no pin lives in.
func skipDir(name string) bool {
	switch name {
	case ".git", "node_modules", "testdata", "target", "bin", "obj":
		return true
	}
	return false
}

// goImages finds the images pinned in Go: a package-level constant or
// variable whose name ends in "Image", holding a tagged image reference,
// in a non-test file under generator/.
func goImages(s *set, root string) error {
	dir := filepath.Join(root, "generator")
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel := relSlash(root, p)
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasSuffix(n.Name, "Image") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					ref, err := strconv.Unquote(lit.Value)
					if err != nil {
						continue
					}
					if _, tag, _ := SplitImage(ref); tag == "" {
						continue
					}
					s.add(imagePin(ref, ManagerRegex), rel+" "+n.Name)
				}
			}
		}
		return nil
	})
}

// tools reads hack/tools/tools.tsv: name, version, binary, module. A
// wrapper go.mod that replaces the module names where its sources live.
func tools(s *set, root string) error {
	const file = "hack/tools/tools.tsv"
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return fmt.Errorf("%s:%d: want 4 tab-separated fields (name, version, binary, module), got %d", file, n+1, len(f))
		}
		p := Pin{Kind: Module, Name: f[3], Version: f[1], Datasource: "go", Manager: ManagerRegex}
		if to := replaced(filepath.Join(root, "hack", "tools", f[0], "go.mod"), f[3]); to != "" {
			p.PackageName = to
		}
		s.add(p, file+" "+f[0])
	}
	return nil
}

// replaced returns the module path a go.mod's replace directive gives
// module, if any.
func replaced(gomod, module string) string {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	re := regexp.MustCompile(`(?m)^replace\s+` + regexp.QuoteMeta(module) + `\s+=>\s+(\S+)`)
	if m := re.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// dockerfiles reads the FROM lines of every Dockerfile: the base images,
// which Renovate's dockerfile manager keeps fresh. Build stages and
// scratch are not images.
func dockerfiles(s *set, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (skipDir(d.Name()) || strings.HasPrefix(d.Name(), ".")) && d.Name() != ".github" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "Dockerfile" {
			return nil
		}
		file, err := os.Open(p)
		if err != nil {
			return err
		}
		defer file.Close()
		rel := relSlash(root, p)
		stages := map[string]bool{"scratch": true}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 || !strings.EqualFold(f[0], "FROM") {
				continue
			}
			args := f[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "--") { // --platform=...
				args = args[1:]
			}
			if len(args) == 0 {
				continue
			}
			ref := args[0]
			if !stages[strings.ToLower(ref)] {
				s.add(imagePin(ref, ManagerDockerfile), rel)
			}
			if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
				stages[strings.ToLower(args[2])] = true
			}
		}
		return sc.Err()
	})
}

// bootstrap reads the ArgoCD version task hub:bootstrap installs
// (Taskfile.yml ARGOCD_VERSION): the upstream install manifest at a tag.
func bootstrap(s *set, root string) error {
	const file = "Taskfile.yml"
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`(?m)^\s*ARGOCD_VERSION:\s*"?([^"\s]+)"?\s*$`).FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("%s: no ARGOCD_VERSION", file)
	}
	s.add(Pin{
		Kind: Manifest, Name: "argoproj/argo-cd manifests/install.yaml", Version: string(m[1]),
		Untracked: "must equal the argo-cd chart's appVersion, which the platform's argo-cd release then adopts; bumped with that chart",
	}, file+" ARGOCD_VERSION")
	return nil
}

// vendoredCRDs reads the module versions whose CRDs validation embeds
// (generator/internal/validate/crds/lock.json, written by
// scripts/refresh-crds.sh from generator/devtools/refresh-crds).
func vendoredCRDs(s *set, root string) error {
	const file = "generator/internal/validate/crds/lock.json"
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	var lock []struct {
		Module  string `json:"module"`
		Version string `json:"version"`
	}
	if err := yaml.Unmarshal(b, &lock); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, e := range lock {
		s.add(Pin{
			Kind: CRDs, Name: e.Module, Version: e.Version,
			Untracked: "must match the version of the chart that installs these CRDs; bumped in generator/devtools/refresh-crds, then scripts/refresh-crds.sh",
		}, file)
	}
	return nil
}

func relSlash(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}
