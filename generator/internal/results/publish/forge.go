package publish

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v93/github"
)

// Forge is the pull-request API of GitHub, or of a forge serving the same
// API (Gitea at /api/v1/).
type Forge struct {
	client      *github.Client
	owner, repo string
	apiURL      string
	token       string
	// login is the token's own user (Login), once asked.
	login string
	// webURL is the repository's page (html_url), known after Check.
	webURL string
}

// DefaultAPIURL is GitHub's REST API.
const DefaultAPIURL = "https://api.github.com/"

// NewForge returns a client for repository owner/name at apiURL. The URL
// is used as given (with a trailing slash): no /api/v3 is appended.
func NewForge(apiURL, token, ownerRepo string, hc *http.Client) (*Forge, error) {
	owner, name, ok := strings.Cut(ownerRepo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("repository %q: want owner/name", ownerRepo)
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	opts := []github.ClientOptionsFunc{github.WithURLs(&apiURL, &apiURL)}
	if token != "" {
		opts = append(opts, github.WithAuthToken(token))
	}
	if hc != nil {
		opts = append(opts, github.WithHTTPClient(hc))
	}
	c, err := github.NewClient(opts...)
	if err != nil {
		return nil, Redact(fmt.Errorf("forge client: %w", err), token)
	}
	return &Forge{client: c, owner: owner, repo: name, apiURL: apiURL, token: token}, nil
}

// Login is the login of the token's own user (asked once).
func (f *Forge) Login(ctx context.Context) (string, error) {
	if f.login != "" {
		return f.login, nil
	}
	u, resp, err := f.client.Users.Get(ctx, "")
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return "", f.wrap(err, "the forge at %s refuses the token (no user for it)", SafeURL(f.apiURL))
		}
		return "", f.wrap(err, "the token's user at %s", SafeURL(f.apiURL))
	}
	if u.GetLogin() == "" {
		return "", fmt.Errorf("the forge at %s names no user for the token", SafeURL(f.apiURL))
	}
	f.login = u.GetLogin()
	return f.login, nil
}

// Check makes sure the forge can take a publish before anything is
// pushed: the token names a user, the repository exists and the token may
// push to it, and the base branch exists.
func (f *Forge) Check(ctx context.Context, base string) error {
	login, err := f.Login(ctx)
	if err != nil {
		return err
	}
	repo, resp, err := f.client.Repositories.Get(ctx, f.owner, f.repo)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("repository %s/%s not found at %s (or %s cannot see it): check --repo and --api-url", f.owner, f.repo, SafeURL(f.apiURL), login)
		}
		return f.wrap(err, "repository %s/%s at %s", f.owner, f.repo, SafeURL(f.apiURL))
	}
	f.webURL = strings.TrimSuffix(repo.GetHTMLURL(), "/")
	if p := repo.GetPermissions(); p == nil || !p.GetPush() {
		return fmt.Errorf("%s may not push to %s/%s at %s: the token needs write access", login, f.owner, f.repo, SafeURL(f.apiURL))
	}
	if _, resp, err := f.client.Repositories.GetBranch(ctx, f.owner, f.repo, base, 0); err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("repository %s/%s has no base branch %q: check --base", f.owner, f.repo, base)
		}
		return f.wrap(err, "base branch %q of %s/%s", base, f.owner, f.repo)
	}
	return nil
}

// RawURL is the web address of the file at repo-relative path p in
// commit: <html_url>/raw/<commit>/<path>, which GitHub and Gitea both
// serve; empty before Check, or when the forge named no html_url.
func (f *Forge) RawURL(commit, p string) string {
	if f.webURL == "" || commit == "" {
		return ""
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return f.webURL + "/raw/" + url.PathEscape(commit) + "/" + strings.Join(segs, "/")
}

func (f *Forge) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return Redact(fmt.Errorf(format+": %w", append(args, err)...), f.token)
}

// PullRequest is what EnsurePullRequest did.
type PullRequest struct {
	Number  int
	URL     string
	Created bool
	Updated bool
}

// EnsurePullRequest opens the pull request from head into base, or finds
// the open one for head and updates its title and body if they differ.
func (f *Forge) EnsurePullRequest(ctx context.Context, head, base, title, body string) (*PullRequest, error) {
	opt := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 50}}
	for {
		prs, resp, err := f.client.PullRequests.List(ctx, f.owner, f.repo, opt)
		if err != nil {
			return nil, f.wrap(err, "list pull requests of %s/%s", f.owner, f.repo)
		}
		// Filtered here: not every forge honours the head filter.
		for _, pr := range prs {
			if pr.GetHead().GetRef() != head || pr.GetBase().GetRef() != base {
				continue
			}
			out := &PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL()}
			if pr.GetTitle() != title || pr.GetBody() != body {
				if _, _, err := f.client.PullRequests.Edit(ctx, f.owner, f.repo, pr.GetNumber(), &github.PullRequest{Title: &title, Body: &body}); err != nil {
					return nil, f.wrap(err, "update pull request #%d", pr.GetNumber())
				}
				out.Updated = true
			}
			return out, nil
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	pr, _, err := f.client.PullRequests.Create(ctx, f.owner, f.repo, github.CreatePullRequest{Title: &title, Head: head, Base: base, Body: &body})
	if err != nil {
		return nil, f.wrap(err, "open pull request %s -> %s", head, base)
	}
	return &PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Created: true}, nil
}

// Comment actions.
const (
	CommentCreated   = "created"
	CommentUpdated   = "updated"
	CommentUnchanged = "unchanged"
)

// UpsertComment keeps exactly one comment holding marker by the token's
// own user on the pull request: it creates it, edits it in place when
// body differs, or leaves it alone. Comments by anyone else are never
// edited, whatever they quote. body must contain marker.
func (f *Forge) UpsertComment(ctx context.Context, number int, marker, body string) (string, error) {
	if !strings.Contains(body, marker) {
		return "", fmt.Errorf("comment body lacks its marker %s", marker)
	}
	login, err := f.Login(ctx)
	if err != nil {
		return "", err
	}
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 50}}
	for {
		cs, resp, err := f.client.Issues.ListComments(ctx, f.owner, f.repo, number, opt)
		if err != nil {
			return "", f.wrap(err, "list comments of #%d", number)
		}
		for _, c := range cs {
			if !strings.Contains(c.GetBody(), marker) || !strings.EqualFold(c.GetUser().GetLogin(), login) {
				continue
			}
			if c.GetBody() == body {
				return CommentUnchanged, nil
			}
			if _, _, err := f.client.Issues.UpdateComment(ctx, f.owner, f.repo, c.GetID(), github.IssueCommentRequest{Body: body}); err != nil {
				return "", f.wrap(err, "update comment %d on #%d", c.GetID(), number)
			}
			return CommentUpdated, nil
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if _, _, err := f.client.Issues.CreateComment(ctx, f.owner, f.repo, number, github.IssueCommentRequest{Body: body}); err != nil {
		return "", f.wrap(err, "comment on #%d", number)
	}
	return CommentCreated, nil
}
