// Package crds embeds the CustomResourceDefinitions the lab's rendered objects must validate
// against (ArgoCD, Kyverno policies.kyverno.io, Argo Workflows CronWorkflow), vendored at pinned
// versions by scripts/refresh-crds.sh. lock.json records where each file came from and its sha256.
package crds

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

//go:embed data lock.json compiled
var files embed.FS

// compiledDir holds each data/ file again as JSON, one document per line,
// written by the refresh tool: decoding a CRD from JSON is much faster than
// from YAML (the ApplicationSet CRD alone is 1.5 MB), and every render
// validates against them. TestCompiledMatchesData keeps the two equal.
const compiledDir = "compiled"

// Entry is one vendored file as recorded in lock.json.
type Entry struct {
	File      string `json:"file"` // path under data/, e.g. "argo-cd/application-crd.yaml"
	Module    string `json:"module"`
	Version   string `json:"version"`
	ModuleSum string `json:"moduleSum"` // go.sum h1: hash of the module zip it was read from
	Path      string `json:"path"`      // path inside the module
	SHA256    string `json:"sha256"`
}

// Lock returns the entries of lock.json, sorted by file.
func Lock() ([]Entry, error) {
	b, err := files.ReadFile("lock.json")
	if err != nil {
		return nil, err
	}
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("lock.json: %w", err)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].File < es[j].File })
	return es, nil
}

// Files returns the paths (under data/) of every embedded manifest, sorted.
func Files() []string {
	var out []string
	_ = fs.WalkDir(files, "data", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, "data/"))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// Raw returns one embedded manifest by its path under data/ (see Files).
func Raw(file string) ([]byte, error) {
	return files.ReadFile(path.Join("data", file))
}

// Decode reads every CustomResourceDefinition in a (multi-document) YAML or JSON stream.
// Documents of another kind are an error, naming the document's position.
func Decode(data []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 64*1024)
	var out []*apiextensionsv1.CustomResourceDefinition
	for i := 1; ; i++ {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := dec.Decode(crd); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if crd.Kind == "" && crd.Name == "" {
			continue // empty document between separators
		}
		if crd.APIVersion != apiextensionsv1.SchemeGroupVersion.String() || crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %d: %s %s is not an apiextensions.k8s.io/v1 CustomResourceDefinition", i, crd.APIVersion, crd.Kind)
		}
		out = append(out, crd)
	}
}

// Load decodes the CRDs in the named embedded files (paths under data/, see Files).
func Load(file ...string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range file {
		b, err := files.ReadFile(path.Join(compiledDir, CompiledName(f)))
		if err != nil {
			if b, err = Raw(f); err != nil {
				return nil, err
			}
		}
		cs, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

// All decodes every embedded CRD, in file order.
func All() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	return Load(Files()...)
}

// CompiledName is the name, under compiled/, of the JSON form of a data/ file.
func CompiledName(file string) string {
	return strings.TrimSuffix(file, path.Ext(file)) + ".json"
}

// Compile turns a (multi-document) YAML manifest into JSON, one document
// a line, for the compiled/ folder.
func Compile(yamlDoc []byte) ([]byte, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(yamlDoc), 64*1024)
	var out bytes.Buffer
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return out.Bytes(), nil
			}
			return nil, err
		}
		if len(doc) == 0 {
			continue
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
}
