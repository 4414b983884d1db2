package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
)

// Cache is the on-disk store of responses (for conditional requests and
// offline reuse) and of the star snapshots growth is computed from.
type Cache struct {
	Dir string
}

// DefaultCacheDir is ${LAB_CACHE:-~/.cache/illm-lab}/discover.
func DefaultCacheDir() (string, error) {
	d, err := cachedir.Dir(os.Getenv, "discover")
	if err != nil {
		return "", fmt.Errorf("%w: set LAB_CACHE or pass --cache", err)
	}
	return d, nil
}

// entry is one cached response.
type entry struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"lastModified,omitempty"`
	ContentType  string    `json:"contentType,omitempty"`
	Link         string    `json:"link,omitempty"`
	Fetched      time.Time `json:"fetched"`
	Body         []byte    `json:"body"`
}

func (c *Cache) path(kind, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, kind, hex.EncodeToString(sum[:16])+".json")
}

func (c *Cache) get(url string) (*entry, error) {
	if c == nil || c.Dir == "" {
		return nil, nil
	}
	var e entry
	ok, err := c.readJSON(c.path("http", url), &e)
	if err != nil || !ok || e.URL != url {
		return nil, err
	}
	return &e, nil
}

func (c *Cache) put(e *entry) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	return c.writeJSON(c.path("http", e.URL), e)
}

// Get reads a JSON value cached under kind/key; ok is false when absent.
func (c *Cache) Get(kind, key string, v any) (bool, error) {
	if c == nil || c.Dir == "" {
		return false, nil
	}
	return c.readJSON(c.path(kind, key), v)
}

// Put stores a JSON value under kind/key, atomically.
func (c *Cache) Put(kind, key string, v any) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	return c.writeJSON(c.path(kind, key), v)
}

func (c *Cache) readJSON(p string, v any) (bool, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		// A damaged cache file is a miss, not a failure: it is rewritten.
		return false, nil
	}
	return true, nil
}

func (c *Cache) writeJSON(p string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFileAtomic(p, b)
}

// WriteFileAtomic writes a file by renaming a complete temporary file
// over it, so a reader never sees half a file and a failure leaves the
// old one.
func WriteFileAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, p)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, werr)
	}
	return nil
}
