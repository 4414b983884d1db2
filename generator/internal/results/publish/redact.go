package publish

import (
	"encoding/base64"
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces secrets in messages.
const Redacted = "[REDACTED]"

// RedactString removes every secret from s: the secret itself, its URL
// escaping and the base64 of a basic-auth pair holding it, as transports
// may echo any of them.
func RedactString(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
		for _, user := range []string{"x-access-token", "git", "oauth2", ""} {
			forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+sec)))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	// Credentials in any URL (user:password@, or a token as the user),
	// whether or not the URL parses.
	return userinfo.ReplaceAllString(s, "${1}"+Redacted+"@")
}

// userinfo is the user information of a URL in a message: after the
// scheme, up to the last @ before the host's end.
var userinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]*@`)

// URLSecrets are the user name and password in a URL's user information,
// also when the URL does not parse (a malformed remote is still printed in
// errors by the transports).
func URLSecrets(u string) []string {
	i := strings.Index(u, "://")
	if i < 0 {
		return nil
	}
	rest := u[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return nil
	}
	user, pass, _ := strings.Cut(rest[:at], ":")
	var out []string
	for _, v := range []string{pass, user} {
		if dec, err := url.PathUnescape(v); err == nil && dec != v && dec != "" {
			out = append(out, dec)
		}
		// A bare user name such as git or x-access-token is no secret,
		// but a token given as the user is: redact anything longer.
		if v != "" && (v == pass || len(v) >= 16) {
			out = append(out, v)
		}
	}
	return out
}

// Redact returns err with every secret removed from its message. The
// result no longer unwraps: a wrapped error could still print the secret.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := RedactString(msg, secrets...)
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// SafeURL is u without credentials, for messages; a URL that does not
// parse loses its user information all the same.
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return RedactString(u, URLSecrets(u)...)
	}
	if p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}
