package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/gosimple/slug"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// applicationGVK is the kind an ApplicationSet generates.
var applicationGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"}

// generated is one Application an ApplicationSet element expands to, with its problems.
type generated struct {
	id   ident
	via  string
	errs field.ErrorList
}

// funcs are the template functions ArgoCD's ApplicationSet controller offers
// (applicationset/utils: Sprig's generic functions without env, expandenv and getHostByName,
// plus normalize, slugify, toYaml, fromYaml and fromYamlArray).
var funcs = func() template.FuncMap {
	f := sprig.GenericFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	delete(f, "getHostByName")
	f["normalize"] = normalize
	f["slugify"] = slugify
	f["toYaml"] = func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	f["fromYaml"] = func(s string) (map[string]any, error) {
		var m map[string]any
		err := yaml.Unmarshal([]byte(s), &m)
		return m, err
	}
	f["fromYamlArray"] = func(s string) ([]any, error) {
		var a []any
		err := yaml.Unmarshal([]byte(s), &a)
		return a, err
	}
	return f
}()

var invalidDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// normalize makes a DNS-1123 subdomain of any string as ArgoCD does:
// lower case, every other character a dash, at most 253 characters, no
// leading or trailing dash or dot.
func normalize(name string) string {
	name = invalidDNSChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

// slugMu guards the slug package's settings, which are package variables.
var slugMu sync.Mutex

// slugify is ArgoCD's slugify: [maxSize [smartTruncate]] name, defaults 50
// and true; the name is normalized first, then slugged by gosimple/slug,
// the library ArgoCD uses.
func slugify(args ...any) (string, error) {
	maxSize, smart, name := 50, true, ""
	for i, a := range args {
		var ok bool
		switch i {
		case len(args) - 1:
			name, ok = a.(string)
		case 0:
			maxSize, ok = a.(int)
		case 1:
			smart, ok = a.(bool)
		}
		if !ok {
			return "", fmt.Errorf("slugify: want [maxSize int [smartTruncate bool]] name string, got argument %d %v", i+1, a)
		}
	}
	slugMu.Lock()
	defer slugMu.Unlock()
	slug.MaxLength, slug.EnableSmartTruncate = maxSize, smart
	return slug.Make(normalize(name)), nil
}

// Generated is one Application an ApplicationSet's list generator will create.
type Generated struct {
	// Via names the element: "ApplicationSet argocd/x spec.generators[0].list.elements[2]".
	Via string
	// Object is the Application (nil when it could not be rendered).
	Object map[string]any
	// Err is why it could not be rendered (a template or patch error), else nil.
	Err *field.Error
}

// ExpandApplicationSet renders the Application each list-generator element produces, as
// ArgoCD's ApplicationSet controller does with goTemplate: every string (and map key) of
// spec.template is executed as a Go template with the element as data, the rendered
// templatePatch is merged over it (ArgoCD uses a strategic merge patch on the Application
// type, which has no merge keys, so lists are replaced and maps merged: a JSON merge patch),
// spec.project is kept from the template, and metadata.namespace defaults to the
// ApplicationSet's. Other generators, and templates without goTemplate, cannot be expanded
// offline and yield nothing. The input is not modified.
func ExpandApplicationSet(m map[string]any) []Generated {
	return ExpandApplicationSetWith(m, ExpandOptions{})
}

// ExpandOptions are the ApplicationSet controller's settings that change
// what it generates.
type ExpandOptions struct {
	// ProgressiveSyncs is the controller's --enable-progressive-syncs
	// (applicationsetcontroller.enable.progressive.syncs). With it, an
	// ApplicationSet with a RollingSync strategy syncs its Applications
	// itself, step by step, and writes them with automated sync disabled
	// (syncPolicy.automated.enabled: false, prune and selfHeal kept), as
	// the real controller (v3.6.1) does: selfHeal then never runs for them.
	ProgressiveSyncs bool
}

// ExpandApplicationSetWith is ExpandApplicationSet for a controller run
// with the given settings.
func ExpandApplicationSetWith(m map[string]any, o ExpandOptions) []Generated {
	out := expand(m)
	if o.ProgressiveSyncs && rollingSync(m) {
		for _, g := range out {
			if auto, ok := nested(g.Object, "spec", "syncPolicy", "automated").(map[string]any); ok {
				auto["enabled"] = false
			}
		}
	}
	return out
}

// rollingSync says whether an ApplicationSet has a RollingSync strategy
// with steps (the controller ignores one without).
func rollingSync(m map[string]any) bool {
	st, _ := nested(m, "spec", "strategy").(map[string]any)
	steps, _ := nested(st, "rollingSync", "steps").([]any)
	return st != nil && st["type"] == "RollingSync" && len(steps) > 0
}

func expand(m map[string]any) []Generated {
	spec, _ := m["spec"].(map[string]any)
	if spec == nil {
		return nil
	}
	if gt, _ := spec["goTemplate"].(bool); !gt {
		return nil // fasttemplate syntax: not expanded
	}
	var opts []string
	if os, ok := spec["goTemplateOptions"].([]any); ok {
		for _, o := range os {
			if s, ok := o.(string); ok {
				opts = append(opts, s)
			}
		}
	}
	tmpl, _ := spec["template"].(map[string]any)
	patch, _ := spec["templatePatch"].(string)
	setID := identify(m)
	gens, _ := spec["generators"].([]any)
	var out []Generated
	for gi, g := range gens {
		gm, _ := g.(map[string]any)
		list, _ := gm["list"].(map[string]any)
		if list == nil {
			continue
		}
		elements, _ := list["elements"].([]any)
		for ei, el := range elements {
			via := fmt.Sprintf("ApplicationSet %s/%s spec.generators[%d].list.elements[%d]", setID.namespace, setID.name, gi, ei)
			app, err := generate(tmpl, patch, opts, el, setID)
			out = append(out, Generated{Via: via, Object: app, Err: err})
		}
	}
	return out
}

// expandAppSet expands an ApplicationSet and validates each Application against the
// Application CRD.
func (v *Validator) expandAppSet(m map[string]any) []generated {
	var out []generated
	for _, g := range ExpandApplicationSet(m) {
		gen := generated{id: ident{gvk: applicationGVK}, via: g.Via}
		switch {
		case g.Err != nil:
			gen.errs = field.ErrorList{g.Err}
		default:
			gen.id = identify(g.Object)
			c, err := v.schemaFor(applicationGVK)
			if err != nil {
				gen.errs = field.ErrorList{field.InternalError(nil, err)}
			} else {
				gen.errs = c.validate(runtimeDeepCopy(g.Object))
			}
		}
		out = append(out, gen)
	}
	return out
}

func generate(tmpl map[string]any, patch string, opts []string, el any, setID ident) (map[string]any, *field.Error) {
	params, ok := el.(map[string]any)
	if !ok {
		return nil, field.Invalid(nil, el, "a list element must be an object")
	}
	rendered, ferr := renderValue(tmpl, params, opts, field.NewPath("spec", "template"))
	if ferr != nil {
		return nil, ferr
	}
	app, _ := rendered.(map[string]any)
	if app == nil {
		app = map[string]any{}
	}
	project := nested(app, "spec", "project")
	if patch != "" {
		pp := field.NewPath("spec", "templatePatch")
		text, err := execute(patch, params, opts)
		if err != nil {
			return nil, field.Invalid(pp, field.OmitValueType{}, err.Error())
		}
		pj, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			return nil, field.Invalid(pp, text, "rendered patch is not valid YAML: "+err.Error())
		}
		aj, err := json.Marshal(app)
		if err != nil {
			return nil, field.InternalError(pp, err)
		}
		merged, err := jsonpatch.MergePatch(aj, pj)
		if err != nil {
			return nil, field.Invalid(pp, text, "cannot merge the rendered patch: "+err.Error())
		}
		app = nil
		if err := kjson.UnmarshalCaseSensitivePreserveInts(merged, &app); err != nil {
			return nil, field.InternalError(pp, err)
		}
		// ArgoCD keeps the template's project whatever the patch says.
		if s, ok := app["spec"].(map[string]any); ok {
			if project == nil {
				delete(s, "project")
			} else {
				s["project"] = project
			}
		}
	}
	app["apiVersion"] = applicationGVK.GroupVersion().String()
	app["kind"] = applicationGVK.Kind
	md, _ := app["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		app["metadata"] = md
	}
	if ns, _ := md["namespace"].(string); ns == "" && setID.namespace != "" {
		md["namespace"] = setID.namespace
	}
	return app, nil
}

func nested(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// renderValue executes every string and map key of v as a template.
func renderValue(v any, params map[string]any, opts []string, p *field.Path) (any, *field.Error) {
	switch x := v.(type) {
	case string:
		s, err := execute(x, params, opts)
		if err != nil {
			return nil, field.Invalid(p, x, err.Error())
		}
		return s, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(map[string]any, len(x))
		for _, k := range keys {
			rv, ferr := renderValue(x[k], params, opts, p.Child(k))
			if ferr != nil {
				return nil, ferr
			}
			rk, err := execute(k, params, opts)
			if err != nil {
				return nil, field.Invalid(p.Child(k), k, err.Error())
			}
			out[rk] = rv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			rv, ferr := renderValue(e, params, opts, p.Index(i))
			if ferr != nil {
				return nil, ferr
			}
			out[i] = rv
		}
		return out, nil
	default:
		return v, nil
	}
}

// parsed caches each distinct template text (with its options): an
// ApplicationSet's template strings repeat for every element, and setting
// up ArgoCD's function map costs far more than executing a template.
// A parsed template may be executed concurrently.
var parsed sync.Map // key: options + "\x00" + text -> *template.Template or error

// execute runs one template string with ArgoCD's functions and options.
func execute(text string, params map[string]any, opts []string) (out string, err error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	key := strings.Join(opts, ",") + "\x00" + text
	cached, ok := parsed.Load(key)
	if !ok {
		cached = parse(text, opts)
		parsed.Store(key, cached)
	}
	t, isTmpl := cached.(*template.Template)
	if !isTmpl {
		return "", cached.(error)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, params); err != nil {
		return "", err
	}
	return b.String(), nil
}

// parse returns the parsed template or the error parsing it.
func parse(text string, opts []string) (result any) {
	// template.Option panics on an option it does not know.
	defer func() {
		if r := recover(); r != nil {
			result = fmt.Errorf("goTemplateOptions: %v", r)
		}
	}()
	t := template.New("").Funcs(funcs)
	for _, o := range opts {
		t = t.Option(o)
	}
	t, err := t.Parse(text)
	if err != nil {
		return err
	}
	return t
}
