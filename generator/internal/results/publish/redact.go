package publish

import (
	"encoding/base64"
	"errors"
	"net/url"
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
	return s
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

// SafeURL is u without credentials, for messages.
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}
