package publish

import (
	"fmt"
	"net/url"
	"strings"
)

// OwnerRepo is the owner/name of the repository a remote URL points at:
// the last two elements of its path, so forges served under a path prefix
// (https://host/git/owner/name.git) work as well as GitHub.
func OwnerRepo(remote string) (string, error) {
	u, err := url.Parse(remote)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("remote %s is not an http(s) URL: give --repo owner/name", SafeURL(remote))
	}
	parts := strings.Split(strings.Trim(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git"), "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return "", fmt.Errorf("remote %s has no owner/name in its path: give --repo owner/name", SafeURL(remote))
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1], nil
}
