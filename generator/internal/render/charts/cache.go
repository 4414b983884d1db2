// Package charts is the vendored chart cache: charts/ at the repository
// root holds the packaged remote charts of rendered components
// (<name>-<version>.tgz) and charts/lock.json their sources and sha256.
// Vendoring (`go run ./generator vendor`) is the only step that reaches
// chart repositories; render reads the cache offline and verifies every
// checksum, so a render is reproducible from the commit alone.
package charts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Dir is the cache folder, relative to the repository root.
const Dir = "charts"

// LockFile is the lock, relative to the repository root.
const LockFile = Dir + "/lock.json"

// Ref is one pinned remote chart.
type Ref struct {
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Version    string `json:"version"`
}

func (r Ref) String() string { return r.Name + " " + r.Version + " from " + r.Repository }

// RefOf is the reference of a component's chart.
func RefOf(c *model.Chart) Ref {
	return Ref{Repository: c.Repository, Name: c.Name, Version: c.Version}
}

// FileName is the cached archive's name: <name>-<version>.tgz.
func (r Ref) FileName() string { return r.Name + "-" + r.Version + ".tgz" }

// Entry is one vendored chart in the lock.
type Entry struct {
	Ref
	File   string `json:"file"`   // under charts/
	SHA256 string `json:"sha256"` // of the file, hex
}

// Lock is charts/lock.json.
type Lock struct {
	Charts []Entry `json:"charts"`
}

// Needed lists the remote charts of the lab's rendered components,
// sorted and without duplicates: what vendor pulls and render reads.
func Needed(lab *model.Lab) []Ref { return refsOf(lab, true) }

// All lists every remote chart of the lab, rendered or left to ArgoCD,
// sorted and without duplicates: what vendor --all pulls, for validate
// --charts to render offline.
func All(lab *model.Lab) []Ref { return refsOf(lab, false) }

func refsOf(lab *model.Lab, renderedOnly bool) []Ref {
	set := map[Ref]bool{}
	for _, u := range lab.AllUnits() {
		c := u.Component
		if c.Chart != nil && (c.IsRendered() || !renderedOnly) {
			set[RefOf(c.Chart)] = true
		}
	}
	refs := make([]Ref, 0, len(set))
	for r := range set {
		refs = append(refs, r)
	}
	sortRefs(refs)
	return refs
}

func sortRefs(refs []Ref) {
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Repository < b.Repository
	})
}

// ReadLock reads charts/lock.json under root; a missing lock is empty.
func ReadLock(root string) (*Lock, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(LockFile)))
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{}, nil
	}
	if err != nil {
		return nil, err
	}
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", LockFile, err)
	}
	return &l, nil
}

// Encode is the lock's canonical bytes: entries sorted, indented, so
// concurrent or repeated vendoring writes identical files.
func (l *Lock) Encode() ([]byte, error) {
	sort.Slice(l.Charts, func(i, j int) bool { return l.Charts[i].File < l.Charts[j].File })
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Find returns the lock's entry of ref.
func (l *Lock) Find(ref Ref) (Entry, bool) {
	for _, e := range l.Charts {
		if e.Ref == ref {
			return e, true
		}
	}
	return Entry{}, false
}

// Cache reads vendored charts offline.
type Cache struct {
	root string
	lock *Lock

	mu       sync.Mutex
	verified map[Ref][]byte // archives read and checked once per render
}

// Open reads the lock of the cache under root.
func Open(root string) (*Cache, error) {
	l, err := ReadLock(root)
	if err != nil {
		return nil, err
	}
	return &Cache{root: root, lock: l, verified: map[Ref][]byte{}}, nil
}

// ErrNotVendored is wrapped by Archive's error for a chart missing from
// the cache.
var ErrNotVendored = errors.New("not vendored")

// Archive returns the vendored archive of ref after checking its sha256
// against the lock.
func (c *Cache) Archive(ref Ref) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.verified[ref]; ok {
		return b, nil
	}
	e, ok := c.lock.Find(ref)
	if !ok {
		return nil, fmt.Errorf("chart %s is %w in %s/: run `go run ./generator vendor` (the only step that downloads charts) and commit %s/", ref, ErrNotVendored, Dir, Dir)
	}
	p := filepath.Join(c.root, Dir, filepath.FromSlash(e.File))
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chart %s: %s/%s is listed in %s but missing: %w; run `go run ./generator vendor`", ref, Dir, e.File, LockFile, ErrNotVendored)
	}
	if err != nil {
		return nil, err
	}
	if got := Sum(b); got != e.SHA256 {
		return nil, fmt.Errorf("chart %s: %s/%s has sha256 %s, %s says %s: the file was changed; run `go run ./generator vendor` to fetch it again", ref, Dir, e.File, got, LockFile, e.SHA256)
	}
	c.verified[ref] = b
	return b, nil
}

// Load loads a fresh copy of ref's vendored chart (fresh because rendering
// mutates a chart).
func (c *Cache) Load(ref Ref) (*chart.Chart, error) {
	b, err := c.Archive(ref)
	if err != nil {
		return nil, err
	}
	ch, err := loader.LoadArchive(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("chart %s (%s/%s): %w", ref, Dir, ref.FileName(), err)
	}
	return ch, nil
}

// Sum is the hex sha256 of b.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
