package pins

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// renovateFile is Renovate's repository configuration.
const renovateFile = "renovate.json"

// dockerfilePatterns are the default managerFilePatterns of Renovate's
// dockerfile manager (docs.renovatebot.com configuration-options,
// managerFilePatterns): the Dockerfile pins rely on them.
var dockerfilePatterns = []string{`/(^|/|\.)([Dd]ocker|[Cc]ontainer)file$/`, `/(^|/)([Dd]ocker|[Cc]ontainer)file[^/]*$/`}

// renovateConfig is the part of renovate.json this test reads.
type renovateConfig struct {
	EnabledManagers []string        `json:"enabledManagers"`
	IgnorePaths     []string        `json:"ignorePaths"`
	CustomManagers  []customManager `json:"customManagers"`
	PackageRules    []packageRule   `json:"packageRules"`
}

type customManager struct {
	CustomType          string   `json:"customType"`
	Description         string   `json:"description"`
	FileMatch           []string `json:"fileMatch"` // the old name: refused
	ManagerFilePatterns []string `json:"managerFilePatterns"`
	MatchStrings        []string `json:"matchStrings"`
	MatchStringsStrat   string   `json:"matchStringsStrategy"`
	DepNameTemplate     string   `json:"depNameTemplate"`
	PackageNameTemplate string   `json:"packageNameTemplate"`
	CurrentValueTmpl    string   `json:"currentValueTemplate"`
	DatasourceTemplate  string   `json:"datasourceTemplate"`
	RegistryURLTemplate string   `json:"registryUrlTemplate"`
	VersioningTemplate  string   `json:"versioningTemplate"`
}

type packageRule struct {
	MatchDatasources    []string `json:"matchDatasources"`
	MatchDepNames       []string `json:"matchDepNames"`
	MatchFileNames      []string `json:"matchFileNames"`
	OverridePackageName string   `json:"overridePackageName"`
}

// dep is what a regex manager extracts from one match.
type dep struct {
	file, manager                                  string
	depName, packageName, currentValue, datasource string
	registryURL                                    string
}

func (d dep) key() string {
	return strings.Join([]string{d.datasource, d.depName, d.packageName, d.currentValue, d.registryURL}, " | ")
}

func (d dep) String() string {
	s := fmt.Sprintf("%s %s %s", d.datasource, d.depName, d.currentValue)
	if d.packageName != d.depName {
		s += " (package " + d.packageName + ")"
	}
	if d.registryURL != "" {
		s += " (registry " + d.registryURL + ")"
	}
	return s + " in " + d.file + " by " + d.manager
}

// pinDep is the dependency Renovate must find for a pin.
func pinDep(p Pin) dep {
	d := dep{depName: p.Name, packageName: p.Name, currentValue: p.Version, datasource: p.Datasource}
	if p.PackageName != "" {
		d.packageName = p.PackageName
	}
	if p.Kind == Chart && p.Datasource == "helm" {
		d.registryURL = normalURL(p.Repository)
	}
	return d
}

// normalURL is a registry URL as Renovate keeps it (WHATWG URL
// serialization: an empty path becomes "/").
func normalURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// goRegexp compiles a Renovate regex (RE2 in JavaScript syntax) with Go's
// RE2: named groups (?<n>...) are Go's (?P<n>...). Like Renovate's regex
// manager, it matches the whole file ("g" flag, no multiline).
func goRegexp(s string) (*regexp.Regexp, error) {
	return regexp.Compile(strings.ReplaceAll(s, "(?<", "(?P<"))
}

// filePattern compiles one managerFilePatterns / ignorePaths entry:
// "/regex/" (or "/regex/i"), else a glob (**, *, ?) or an exact path.
func filePattern(s string) (*regexp.Regexp, error) {
	if strings.HasPrefix(s, "/") && (strings.HasSuffix(s, "/") || strings.HasSuffix(s, "/i")) && len(s) > 2 {
		body, flags := strings.TrimPrefix(s, "/"), ""
		if strings.HasSuffix(body, "/i") {
			body, flags = strings.TrimSuffix(body, "/i"), "(?i)"
		} else {
			body = strings.TrimSuffix(body, "/")
		}
		return regexp.Compile(flags + body)
	}
	if strings.HasPrefix(s, "!") || strings.ContainsAny(s, "{}[]") {
		return nil, fmt.Errorf("pattern %q: negations, braces and classes are not emulated by this test", s)
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(s[i:], "**"):
			b.WriteString(".*")
			i++
		case s[i] == '*':
			b.WriteString("[^/]*")
		case s[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

var compiled sync.Map // pattern -> *regexp.Regexp

func matchAny(patterns []string, file string) (bool, error) {
	for _, p := range patterns {
		var re *regexp.Regexp
		if v, ok := compiled.Load(p); ok {
			re = v.(*regexp.Regexp)
		} else {
			var err error
			if re, err = filePattern(p); err != nil {
				return false, err
			}
			compiled.Store(p, re)
		}
		if re.MatchString(file) {
			return true, nil
		}
	}
	return false, nil
}

var tmplVar = regexp.MustCompile(`\{\{\{?\s*([A-Za-z0-9_]+)\s*\}?\}\}`)

// render fills a Handlebars template with the match's groups; only plain
// substitutions are emulated, so a template with helpers or blocks fails.
func render(tmpl string, groups map[string]string) (string, error) {
	out := tmplVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		return groups[tmplVar.FindStringSubmatch(m)[1]]
	})
	if strings.Contains(out, "{{") {
		return "", fmt.Errorf("template %q: only {{{name}}} substitutions are emulated by this test", tmpl)
	}
	return out, nil
}

// field is a dependency field from its template, else its named group.
func field(tmpl string, groups map[string]string, name string) (string, error) {
	if tmpl != "" {
		return render(tmpl, groups)
	}
	return groups[name], nil
}

// repoFiles lists the repository's files as Renovate sees them: tracked
// by Git (a walk when Git is not there), without ignorePaths.
func repoFiles(root string, ignore []string) ([]string, error) {
	key := root + "\x00" + strings.Join(ignore, "\x00")
	cacheMu.Lock()
	files, ok := fileLists[key]
	cacheMu.Unlock()
	if ok {
		return files, nil
	}
	files, err := listFiles(root, ignore)
	if err == nil {
		cacheMu.Lock()
		fileLists[key] = files
		cacheMu.Unlock()
	}
	return files, err
}

func listFiles(root string, ignore []string) ([]string, error) {
	var files []string
	if out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output(); err == nil {
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
	} else {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				files = append(files, relSlash(root, p))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var kept []string
	for _, f := range files {
		skip, err := matchAny(ignore, f)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(root, f)); err == nil && !skip {
			kept = append(kept, f)
		}
	}
	slices.Sort(kept)
	return kept, nil
}

var (
	cacheMu   sync.Mutex
	cache     = map[string][]byte{}
	fileLists = map[string][]string{}
)

// readCached reads a file once per test binary: the checks below run
// the configuration many times over the same tree.
func readCached(p string) ([]byte, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[p]; ok {
		return b, nil
	}
	b, err := os.ReadFile(p)
	if err == nil {
		cache[p] = b
	}
	return b, err
}

// extract runs every regex manager of cfg over the files its patterns
// select, as Renovate's regex manager does (strategy "any": each
// matchString on its own, every match of it), then applies the
// packageRules' package name overrides.
func extract(cfg renovateConfig, root string, files []string) ([]dep, []string) {
	var deps []dep
	var problems []string
	for mi, m := range cfg.CustomManagers {
		name := fmt.Sprintf("customManagers[%d] %s", mi, m.Description)
		switch {
		case m.CustomType != "regex":
			problems = append(problems, fmt.Sprintf("%s: customType %q: this test reads regex managers only", name, m.CustomType))
			continue
		case len(m.FileMatch) > 0:
			problems = append(problems, fmt.Sprintf("%s: fileMatch is Renovate's old name: use managerFilePatterns", name))
			continue
		case len(m.ManagerFilePatterns) == 0 || len(m.MatchStrings) == 0:
			problems = append(problems, fmt.Sprintf("%s: needs managerFilePatterns and matchStrings", name))
			continue
		case m.MatchStringsStrat != "" && m.MatchStringsStrat != "any":
			problems = append(problems, fmt.Sprintf("%s: matchStringsStrategy %q is not emulated", name, m.MatchStringsStrat))
			continue
		}
		var res []*regexp.Regexp
		for _, s := range m.MatchStrings {
			re, err := goRegexp(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: matchString %q: %v", name, s, err))
				continue
			}
			res = append(res, re)
		}
		selected := 0
		for _, f := range files {
			ok, err := matchAny(m.ManagerFilePatterns, f)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", name, err))
				break
			}
			if !ok {
				continue
			}
			selected++
			b, err := readCached(filepath.Join(root, f))
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			for _, re := range res {
				for _, sm := range re.FindAllStringSubmatch(string(b), -1) {
					groups := map[string]string{}
					for gi, g := range re.SubexpNames() {
						if g != "" {
							groups[g] = sm[gi]
						}
					}
					d, err := newDep(m, groups)
					if err != nil {
						problems = append(problems, fmt.Sprintf("%s: %s: %v", name, f, err))
						continue
					}
					d.file, d.manager = f, name
					if msg := invalid(d); msg != "" {
						problems = append(problems, fmt.Sprintf("%s: %s: match %q: %s", name, f, sm[0], msg))
						continue
					}
					deps = append(deps, d)
				}
			}
		}
		if selected == 0 {
			problems = append(problems, fmt.Sprintf("%s: managerFilePatterns %q select no file", name, m.ManagerFilePatterns))
		}
	}
	for i := range deps {
		for _, r := range cfg.PackageRules {
			if r.OverridePackageName == "" {
				continue
			}
			if len(r.MatchFileNames) > 0 {
				problems = append(problems, "packageRules: an overridePackageName rule with matchFileNames is not emulated")
				continue
			}
			if (len(r.MatchDatasources) == 0 || slices.Contains(r.MatchDatasources, deps[i].datasource)) &&
				slices.Contains(r.MatchDepNames, deps[i].depName) {
				deps[i].packageName = r.OverridePackageName
			}
		}
	}
	return deps, problems
}

func newDep(m customManager, groups map[string]string) (dep, error) {
	var d dep
	var err error
	for _, f := range []struct {
		dst        *string
		tmpl, name string
	}{
		{&d.depName, m.DepNameTemplate, "depName"},
		{&d.packageName, m.PackageNameTemplate, "packageName"},
		{&d.currentValue, m.CurrentValueTmpl, "currentValue"},
		{&d.datasource, m.DatasourceTemplate, "datasource"},
		{&d.registryURL, m.RegistryURLTemplate, "registryUrl"},
	} {
		if *f.dst, err = field(f.tmpl, groups, f.name); err != nil {
			return d, err
		}
	}
	if d.packageName == "" {
		d.packageName = d.depName
	}
	if d.registryURL != "" {
		if d.registryURL = normalURL(d.registryURL); d.registryURL == "" {
			return d, fmt.Errorf("registryUrl %q is not a URL", groups["registryUrl"])
		}
	}
	return d, nil
}

// invalid says why Renovate would drop or mislook-up a dependency.
func invalid(d dep) string {
	switch {
	case strings.TrimSpace(d.depName) == "" && strings.TrimSpace(d.packageName) == "":
		return "no depName or packageName"
	case strings.TrimSpace(d.currentValue) == "":
		return "no currentValue"
	case !slices.Contains([]string{"helm", "docker", "go"}, d.datasource):
		return fmt.Sprintf("datasource %q is none of the lab's (helm, docker, go)", d.datasource)
	case d.datasource == "helm" && d.registryURL == "":
		return "a helm dependency needs its repository as registryUrl"
	}
	return ""
}

// checkRenovate runs cfg over the repository and compares what its regex
// managers find with the pins they are meant to keep fresh; Dockerfile
// pins must be where Renovate's dockerfile manager looks.
func checkRenovate(cfg renovateConfig, root string, ps []Pin) []string {
	files, err := repoFiles(root, cfg.IgnorePaths)
	if err != nil {
		return []string{err.Error()}
	}
	deps, problems := extract(cfg, root, files)

	want := map[string]Pin{}
	for _, p := range ps {
		if p.Manager == ManagerRegex {
			want[pinDep(p).key()] = p
		}
	}
	found := map[string]bool{}
	for _, d := range deps {
		k := d.key()
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("found %v: not a pin of the lab (a pattern too wide, or a pin the listing misses)", d))
			continue
		}
		found[k] = true
	}
	for k, p := range want {
		if !found[k] {
			problems = append(problems, fmt.Sprintf("%s %s (%s) is found by no regex manager as %s", p.Kind, p.Ref(), strings.Join(p.Uses, ", "), pinDep(p).key()))
		}
	}

	for _, mgr := range []string{"custom.regex", ManagerDockerfile} {
		if len(cfg.EnabledManagers) > 0 && !slices.Contains(cfg.EnabledManagers, mgr) {
			problems = append(problems, fmt.Sprintf("enabledManagers %q leaves out %s", cfg.EnabledManagers, mgr))
		}
	}
	for _, p := range ps {
		if p.Manager != ManagerDockerfile {
			continue
		}
		for _, f := range p.Uses {
			ok, _ := matchAny(dockerfilePatterns, f)
			ignored, _ := matchAny(cfg.IgnorePaths, f)
			if !ok || ignored {
				problems = append(problems, fmt.Sprintf("%s %s in %s: the dockerfile manager does not read that file", p.Kind, p.Ref(), f))
			}
		}
	}
	slices.Sort(problems)
	return problems
}

func readRenovate(t *testing.T) renovateConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, renovateFile))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var cfg renovateConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", renovateFile, err)
	}
	return cfg
}

// Renovate's regex managers find every pin they are meant to keep fresh,
// with the right name, version and datasource, and nothing else.
func TestRenovateFindsEveryPin(t *testing.T) {
	for _, p := range checkRenovate(readRenovate(t), repoRoot, realPins(t)) {
		t.Error(p)
	}
}

// Every regex manager is needed, and a wrong datasource or a pattern
// that stops matching is caught.
func TestRenovateCheckCatchesGaps(t *testing.T) {
	cfg, ps := readRenovate(t), realPins(t)
	if len(checkRenovate(cfg, repoRoot, ps)) > 0 {
		t.Skip("renovate.json is not current: TestRenovateFindsEveryPin says why")
	}
	for i, m := range cfg.CustomManagers {
		without := cfg
		without.CustomManagers = slices.Delete(slices.Clone(cfg.CustomManagers), i, i+1)
		if len(checkRenovate(without, repoRoot, ps)) == 0 {
			t.Errorf("removing customManagers[%d] (%s) went unnoticed", i, m.Description)
		}
		wrong := cfg
		wrong.CustomManagers = slices.Clone(cfg.CustomManagers)
		wrong.CustomManagers[i].DatasourceTemplate = "github-tags"
		if len(checkRenovate(wrong, repoRoot, ps)) == 0 {
			t.Errorf("customManagers[%d] (%s) with datasource github-tags went unnoticed", i, m.Description)
		}
	}
	wide := cfg
	wide.CustomManagers = append(slices.Clone(cfg.CustomManagers), customManager{
		CustomType: "regex", Description: "every image string anywhere in phases/",
		ManagerFilePatterns: []string{`/^phases/.+\.cue$/`},
		MatchStrings:        []string{`image: "(?<depName>[a-z0-9][^":]*):(?<currentValue>[^"]+)"`},
		DatasourceTemplate:  "docker",
	})
	if len(checkRenovate(wide, repoRoot, ps)) == 0 {
		t.Error("a manager reading the test images of phases/policies.cue went unnoticed")
	}
	noDocker := cfg
	noDocker.EnabledManagers = []string{"custom.regex"}
	if len(checkRenovate(noDocker, repoRoot, ps)) == 0 {
		t.Error("disabling the dockerfile manager went unnoticed")
	}
}

func TestFilePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, file string
		want          bool
	}{
		{`/^phases/[^/]+\.cue$/`, "phases/01-platform.cue", true},
		{`/^phases/[^/]+\.cue$/`, "generator/internal/render/testdata/lab/phases/lab.cue", false},
		{"**/testdata/**", "generator/internal/render/testdata/lab/phases/lab.cue", true},
		{"**/node_modules/**", "node_modules/x/package.json", true},
		{"charts/**", "charts/lock.json", true},
		{"hack/tools/tools.tsv", "hack/tools/tools.tsv", true},
		{"hack/tools/*.tsv", "hack/tools/x/tools.tsv", false},
		{dockerfilePatterns[0], "apps/runtimes/go/Dockerfile", true},
	} {
		got, err := matchAny([]string{tc.pattern}, tc.file)
		if err != nil || got != tc.want {
			t.Errorf("%q on %q = %v, %v; want %v", tc.pattern, tc.file, got, err, tc.want)
		}
	}
}
