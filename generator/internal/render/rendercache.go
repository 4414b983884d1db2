package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kustomize"
)

// The render cache keeps the built files of each rendered component,
// content-addressed: the key hashes everything the output depends on (the
// chart's files, the values, release, namespace, labels, Kubernetes
// version) and the generator's own executable, so a change to any of them,
// including the rendering code, is a miss. A warm render of an unchanged
// lab then skips Helm and kustomize entirely. LAB_RENDER_CACHE=off turns
// it off; it lives under ${LAB_CACHE:-~/.cache/illm-lab}/render.
type renderCache struct {
	dir  string // "" when off
	salt string

	mu     sync.Mutex
	charts map[string]string // local chart path -> hash of its files
}

const cacheFormat = "render-cache-1"

func openRenderCache() *renderCache {
	if os.Getenv("LAB_RENDER_CACHE") == "off" {
		return &renderCache{charts: map[string]string{}}
	}
	dir, err := cachedir.Dir(os.Getenv, "render")
	if err != nil {
		return &renderCache{charts: map[string]string{}}
	}
	salt, err := executableHash(dir)
	if err != nil {
		return &renderCache{charts: map[string]string{}} // no reliable identity of the code: no cache
	}
	return &renderCache{dir: dir, salt: salt, charts: map[string]string{}}
}

// executableHash is the sha256 of the running binary, remembered per
// (path, size, modification time) so a built binary is hashed once.
func executableHash(dir string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	id := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", exe, fi.Size(), fi.ModTime().UnixNano())))
	memo := filepath.Join(dir, "exe", hex.EncodeToString(id[:]))
	if b, err := os.ReadFile(memo); err == nil && len(b) == 64 {
		return string(b), nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	_ = writeAtomic(memo, []byte(sum))
	return sum, nil
}

// chartHash hashes what Helm reads of a local chart folder: every file
// (name and bytes), symbolic links followed as Helm's loader follows them,
// so a linked template that changes is a miss. Links whose targets repeat
// a folder already on the walk are an error, as a cycle would be.
func (c *renderCache) chartHash(dir string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.charts[dir]; ok {
		return h, nil
	}
	h := sha256.New()
	if err := hashTree(h, dir, "", map[string]bool{}); err != nil {
		return "", fmt.Errorf("hashing chart %s: %w", dir, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	c.charts[dir] = sum
	return sum, nil
}

// hashTree writes the files under dir (resolved) to h in name order, each
// as its slash path under the chart, its length and its bytes.
func hashTree(h io.Writer, dir, rel string, onWalk map[string]bool) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if onWalk[real] {
		return fmt.Errorf("%s: a symbolic link cycle", rel)
	}
	onWalk[real] = true
	defer delete(onWalk, real)
	entries, err := os.ReadDir(real)
	if err != nil {
		return err
	}
	for _, e := range entries { // ReadDir sorts by name
		p := filepath.Join(real, e.Name())
		r := path.Join(rel, e.Name())
		fi, err := os.Stat(p) // follows links
		if err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		switch {
		case fi.IsDir():
			if err := hashTree(h, p, r, onWalk); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", r, len(b))
			h.Write(b)
		}
	}
	return nil
}

// key is the cache key of one component's render; parts must fully
// determine the output besides the code (the salt).
func (c *renderCache) key(parts ...any) (string, error) {
	b, err := json.Marshal(append([]any{cacheFormat, c.salt}, parts...))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func (c *renderCache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

func (c *renderCache) get(key string) ([]kustomize.File, bool) {
	if c.dir == "" || key == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, false
	}
	var files []kustomize.File
	if err := json.Unmarshal(b, &files); err != nil || len(files) == 0 {
		return nil, false
	}
	return files, true
}

func (c *renderCache) put(key string, files []kustomize.File) {
	if c.dir == "" || key == "" {
		return
	}
	b, err := json.Marshal(files)
	if err != nil {
		return
	}
	// A cache that cannot be written is only slower.
	if os.MkdirAll(filepath.Dir(c.path(key)), 0o755) == nil {
		_ = writeAtomic(c.path(key), b)
	}
}
