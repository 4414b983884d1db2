// Package cachedir names the lab's one cache folder,
// ${LAB_CACHE:-$HOME/.cache/illm-lab}: the same rule scripts/tools.sh
// follows, so the generator, its tests and the scripts share built tools,
// the render cache, discovery's HTTP cache and runtime builds.
package cachedir

import (
	"errors"
	"path/filepath"
)

// Env is the variable that moves the cache.
const Env = "LAB_CACHE"

// Dir is the cache folder, or its subfolder sub, read from getenv
// (os.Getenv, or a test's environment).
func Dir(getenv func(string) string, sub ...string) (string, error) {
	base := getenv(Env)
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("no cache folder: neither " + Env + " nor HOME is set")
		}
		base = filepath.Join(home, ".cache", "illm-lab")
	}
	if !filepath.IsAbs(base) {
		abs, err := filepath.Abs(base)
		if err != nil {
			return "", err
		}
		base = abs
	}
	return filepath.Join(append([]string{base}, sub...)...), nil
}
