package charts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	sigsyaml "sigs.k8s.io/yaml"
)

// maxDownload bounds one index or chart download.
const maxDownload = 256 << 20

// Options tune vendoring.
type Options struct {
	// HTTPClient fetches HTTP repositories and talks to OCI registries;
	// nil is a client with a 2-minute timeout and the system's roots.
	HTTPClient *http.Client
	// PlainHTTP talks to OCI registries over http:// (local registries).
	PlainHTTP bool
}

// Report says what Vendor did, per chart.
type Report struct {
	Pulled []Entry  // downloaded now
	Kept   []Entry  // already vendored with a matching checksum
	Pruned []string // files of charts no longer needed, removed
}

// Vendor makes charts/ hold exactly refs: it pulls each chart that is
// missing or whose file does not match the lock, records its sha256 in
// charts/lock.json, and removes the files of charts no longer needed.
// Concurrent runs are serialized by a file lock; every file is written to
// a temporary file and renamed into place, so a reader sees the old or the
// new file, never a part.
func Vendor(ctx context.Context, root string, refs []Ref, opts Options) (*Report, error) {
	dir := filepath.Join(root, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lk := flock.New(filepath.Join(dir, ".lock"))
	ok, err := lk.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("locking %s/.lock: %w", Dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("locking %s/.lock: %w", Dir, ctx.Err())
	}
	defer lk.Unlock()

	old, err := ReadLock(root)
	if err != nil {
		return nil, err
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	rep := &Report{}
	next := &Lock{Charts: []Entry{}}
	files := map[string]Ref{}
	var errs []error
	for _, ref := range refs {
		name := ref.FileName()
		if other, dup := files[name]; dup {
			errs = append(errs, fmt.Errorf("charts %s and %s would both be %s/%s: pin one repository per chart name and version", other, ref, Dir, name))
			continue
		}
		files[name] = ref
		if e, ok := old.Find(ref); ok && e.File == name {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && Sum(b) == e.SHA256 {
				next.Charts = append(next.Charts, e)
				rep.Kept = append(rep.Kept, e)
				continue
			}
		}
		b, err := pull(ctx, ref, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("chart %s: %w", ref, err))
			continue
		}
		if err := checkArchive(ref, b); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := writeAtomic(filepath.Join(dir, name), b); err != nil {
			errs = append(errs, err)
			continue
		}
		e := Entry{Ref: ref, File: name, SHA256: Sum(b)}
		next.Charts = append(next.Charts, e)
		rep.Pulled = append(rep.Pulled, e)
	}
	if len(errs) > 0 {
		// Keep the old lock: charts pulled so far are in place and are
		// recorded by the next successful run.
		return rep, errors.Join(errs...)
	}
	for _, e := range old.Charts {
		if _, keep := files[e.File]; !keep {
			if err := os.Remove(filepath.Join(dir, e.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return rep, err
			}
			rep.Pruned = append(rep.Pruned, e.File)
		}
	}
	b, err := next.Encode()
	if err != nil {
		return rep, err
	}
	return rep, writeAtomic(filepath.Join(root, filepath.FromSlash(LockFile)), b)
}

// checkArchive refuses a download that is not the chart asked for.
func checkArchive(ref Ref, b []byte) error {
	ch, err := loader.LoadArchive(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("chart %s: the download is not a chart archive: %w", ref, err)
	}
	if ch.Name() != ref.Name || ch.Metadata.Version != ref.Version {
		return fmt.Errorf("chart %s: the download is %s %s", ref, ch.Name(), ch.Metadata.Version)
	}
	return nil
}

func pull(ctx context.Context, ref Ref, opts Options) ([]byte, error) {
	if strings.HasPrefix(ref.Repository, "oci://") {
		return pullOCI(ref, opts)
	}
	return pullHTTP(ctx, ref, opts.HTTPClient)
}

// pullHTTP reads the repository's index.yaml, finds the exact version and
// downloads its first URL, checking the index's digest when it has one.
func pullHTTP(ctx context.Context, ref Ref, client *http.Client) ([]byte, error) {
	base := strings.TrimSuffix(ref.Repository, "/")
	raw, err := get(ctx, client, base+"/index.yaml")
	if err != nil {
		return nil, err
	}
	var idx repo.IndexFile
	if err := sigsyaml.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("%s/index.yaml: %w", base, err)
	}
	var cv *repo.ChartVersion
	for _, v := range idx.Entries[ref.Name] {
		if v != nil && v.Metadata != nil && v.Version == ref.Version {
			cv = v
			break
		}
	}
	if cv == nil {
		return nil, fmt.Errorf("%s/index.yaml has no version %s of %s", base, ref.Version, ref.Name)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("%s/index.yaml lists %s %s without a URL", base, ref.Name, ref.Version)
	}
	u, err := repo.ResolveReferenceURL(base+"/", cv.URLs[0])
	if err != nil {
		return nil, err
	}
	b, err := get(ctx, client, u)
	if err != nil {
		return nil, err
	}
	if d := strings.TrimPrefix(cv.Digest, "sha256:"); d != "" && d != Sum(b) {
		return nil, fmt.Errorf("%s: sha256 %s, the index says %s", u, Sum(b), d)
	}
	return b, nil
}

func get(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(b) > maxDownload {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxDownload)
	}
	return b, nil
}

// pullOCI pulls <registry>/<path>/<name>:<version> with Helm's registry
// client.
func pullOCI(ref Ref, opts Options) ([]byte, error) {
	copts := []registry.ClientOption{registry.ClientOptHTTPClient(opts.HTTPClient)}
	if opts.PlainHTTP {
		copts = append(copts, registry.ClientOptPlainHTTP())
	}
	c, err := registry.NewClient(copts...)
	if err != nil {
		return nil, err
	}
	target := strings.TrimSuffix(strings.TrimPrefix(ref.Repository, "oci://"), "/") + "/" + ref.Name + ":" + ref.Version
	res, err := c.Pull(target, registry.PullOptWithChart(true))
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", target, err)
	}
	return res.Chart.Data, nil
}

// writeAtomic writes a file through a synced temporary file in the same
// folder and a rename.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
