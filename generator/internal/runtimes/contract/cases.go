package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Case is one request of the contract and the exact answer every runtime
// must give.
type Case struct {
	Name   string
	Method string
	// Target is the path and query, sent as is.
	Target string
	Body   []byte
	// Chunked sends Body without Content-Length, so a runtime cannot refuse
	// an oversized body from the header alone.
	Chunked bool

	WantStatus int
	WantBody   []byte
	// WantAllow is the Allow header a 405 must carry.
	WantAllow string
	// NeedsDB marks cases whose answer comes from PostgreSQL.
	NeedsDB bool
}

// Response is what the contract compares.
type Response struct {
	Status      int
	ContentType string
	Allow       string
	Body        []byte
}

// Known n-th primes (p(1)=2, p(10)=29, p(1000)=7919, p(10^4)=104729,
// p(10^5)=1299709): facts, not outputs of any runtime.
var primes = []struct{ n, p int64 }{
	{1, 2}, {2, 3}, {10, 29}, {1000, 7919}, {10000, 104729}, {100000, 1299709},
}

// seedItem is the row schema.sql seeds for id.
func seedItem(id int64) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"name":"item-%04d","value":%d}`, id, id, id*7919%10007))
}

// Cases is the contract's request table.
func Cases(s *Spec) []Case {
	e := s.errBody
	get := func(name, target string, status int, body []byte) Case {
		return Case{Name: name, Method: http.MethodGet, Target: target, WantStatus: status, WantBody: body}
	}
	echo := func(name string, body []byte, status int, want []byte) Case {
		return Case{Name: name, Method: http.MethodPost, Target: "/echo", Body: body, WantStatus: status, WantBody: want}
	}
	maxN := strconv.FormatInt(s.Compute.Max, 10)
	idMax := strconv.FormatInt(s.Database.Max, 10)

	cs := []Case{
		get("health", "/health", 200, []byte(`{"status":"ok"}`)),
		get("json document", "/json", 200, s.Document),
		{Name: "json HEAD", Method: http.MethodHead, Target: "/json", WantStatus: 200, WantBody: []byte{}},
		{Name: "json POST", Method: http.MethodPost, Target: "/json", Body: []byte(`{}`), WantStatus: 405, WantBody: e("methodNotAllowed"), WantAllow: "GET, HEAD"},
		{Name: "health DELETE", Method: http.MethodDelete, Target: "/health", WantStatus: 405, WantBody: e("methodNotAllowed"), WantAllow: "GET, HEAD"},
	}
	for _, p := range primes {
		cs = append(cs, get(fmt.Sprintf("compute n=%d", p.n), fmt.Sprintf("/compute?n=%d", p.n), 200,
			[]byte(fmt.Sprintf(`{"n":%d,"prime":%d}`, p.n, p.p))))
	}
	cs = append(cs,
		get("compute missing n", "/compute", 400, e("missingN")),
		get("compute other param only", "/compute?m=5", 400, e("missingN")),
		get("compute empty n", "/compute?n=", 400, e("invalidN")),
		get("compute bare n", "/compute?n", 400, e("invalidN")),
		get("compute n=0", "/compute?n=0", 400, e("invalidN")),
		get("compute n above max", "/compute?n="+strconv.FormatInt(s.Compute.Max+1, 10), 400, e("invalidN")),
		get("compute n negative", "/compute?n=-5", 400, e("invalidN")),
		get("compute n plus sign", "/compute?n=%2B5", 400, e("invalidN")),
		get("compute n leading zero", "/compute?n=007", 400, e("invalidN")),
		get("compute n letters", "/compute?n=abc", 400, e("invalidN")),
		get("compute n exponent", "/compute?n=1e3", 400, e("invalidN")),
		get("compute n fraction", "/compute?n=10.0", 400, e("invalidN")),
		get("compute n space", "/compute?n=%2010", 400, e("invalidN")),
		get("compute n 11 digits", "/compute?n=12345678901", 400, e("invalidN")),
		get("compute n huge", "/compute?n=99999999999999999999999", 400, e("invalidN")),
		get("compute n percent-encoded", "/compute?n=%31%30", 200, []byte(`{"n":10,"prime":29}`)),
		get("compute first n wins", "/compute?n=10&n=abc", 200, []byte(`{"n":10,"prime":29}`)),
		get("compute first n wins invalid", "/compute?n=abc&n=10", 400, e("invalidN")),
		get("compute n at max", "/compute?n="+maxN, 200, primeBody(s.Compute.Max)),
		Case{Name: "compute POST", Method: http.MethodPost, Target: "/compute?n=5", WantStatus: 405, WantBody: e("methodNotAllowed"), WantAllow: "GET, HEAD"},
	)

	for _, id := range []int64{1, 42, 1000} {
		c := get(fmt.Sprintf("database id=%d", id), fmt.Sprintf("/database?id=%d", id), 200, seedItem(id))
		c.NeedsDB = true
		cs = append(cs, c)
	}
	notFound := func(name, target string) Case {
		c := get(name, target, 404, e("itemNotFound"))
		c.NeedsDB = true
		return c
	}
	cs = append(cs,
		notFound("database id not seeded", "/database?id=1001"),
		notFound("database id at max", "/database?id="+idMax),
		get("database missing id", "/database", 400, e("missingId")),
		get("database id=0", "/database?id=0", 400, e("invalidId")),
		get("database id above max", "/database?id="+strconv.FormatInt(s.Database.Max+1, 10), 400, e("invalidId")),
		get("database id letters", "/database?id=x1", 400, e("invalidId")),
		get("database id negative", "/database?id=-1", 400, e("invalidId")),
		Case{Name: "database PUT", Method: http.MethodPut, Target: "/database?id=1", WantStatus: 405, WantBody: e("methodNotAllowed"), WantAllow: "GET, HEAD"},
	)

	object := []byte("{\"a\": [1, 2.50, \"x\"],\n \"b\": {\"c\": null, \"d\": true}, \"u\": \"h\u00e9llo \u2713 \\u00e9\"}")
	exact := jsonString(s.Echo.MaxBytes)
	cs = append(cs,
		echo("echo object verbatim", object, 200, object),
		echo("echo array", []byte(`[1,"two",{"three":3}]`), 200, []byte(`[1,"two",{"three":3}]`)),
		echo("echo scalar", []byte(`42`), 200, []byte(`42`)),
		echo("echo string", []byte(`"hi"`), 200, []byte(`"hi"`)),
		echo("echo at size limit", exact, 200, exact),
		echo("echo empty body", []byte{}, 400, e("invalidJSON")),
		echo("echo truncated", []byte(`{"a":`), 400, e("invalidJSON")),
		echo("echo trailing comma", []byte(`[1,2,]`), 400, e("invalidJSON")),
		echo("echo single quotes", []byte(`{'a':1}`), 400, e("invalidJSON")),
		echo("echo two values", []byte(`{} {}`), 400, e("invalidJSON")),
		echo("echo over size limit", jsonString(s.Echo.MaxBytes+1), 413, e("bodyTooLarge")),
		// Far above the limit: a runtime must refuse it itself, with the
		// contract's body, not through a framework default.
		echo("echo far over size limit", jsonString(4<<20), 413, e("bodyTooLarge")),
		Case{Name: "echo over size limit chunked", Method: http.MethodPost, Target: "/echo", Body: jsonString(s.Echo.MaxBytes + 4096), Chunked: true, WantStatus: 413, WantBody: e("bodyTooLarge")},
		Case{Name: "echo chunked within limit", Method: http.MethodPost, Target: "/echo", Body: object, Chunked: true, WantStatus: 200, WantBody: object},
		Case{Name: "echo GET", Method: http.MethodGet, Target: "/echo", WantStatus: 405, WantBody: e("methodNotAllowed"), WantAllow: "POST"},
		get("unknown path", "/nope", 404, e("notFound")),
		get("root path", "/", 404, e("notFound")),
		get("path prefix", "/healthz", 404, e("notFound")),
		Case{Name: "unknown path POST", Method: http.MethodPost, Target: "/nope", Body: []byte(`{}`), WantStatus: 404, WantBody: e("notFound")},
	)
	return cs
}

// DatabaseDownCases are answered by a runtime whose PostgreSQL is unreachable.
func DatabaseDownCases(s *Spec) []Case {
	return []Case{
		{Name: "database unavailable", Method: http.MethodGet, Target: "/database?id=1", WantStatus: 503, WantBody: s.errBody("databaseUnavailable")},
		{Name: "database unavailable still validates", Method: http.MethodGet, Target: "/database?id=0", WantStatus: 400, WantBody: s.errBody("invalidId")},
		{Name: "health without database", Method: http.MethodGet, Target: "/health", WantStatus: 200, WantBody: []byte(`{"status":"ok"}`)},
	}
}

// primeBody is the answer for n from the known primes; the table above holds
// the contract's maximum, and LoadSpec's caller gets a clear failure if the
// maximum changes without it.
func primeBody(n int64) []byte {
	for _, p := range primes {
		if p.n == n {
			return []byte(fmt.Sprintf(`{"n":%d,"prime":%d}`, p.n, p.p))
		}
	}
	return []byte(fmt.Sprintf("no known prime for n=%d: extend the primes table", n))
}

// jsonString is a JSON string literal of exactly size bytes.
func jsonString(size int) []byte {
	return []byte(`"` + strings.Repeat("x", size-2) + `"`)
}

// Do sends the case to baseURL (no trailing slash).
func (c Case) Do(ctx context.Context, client *http.Client, baseURL string) (Response, error) {
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
		if c.Chunked {
			// Hiding the length makes net/http send Transfer-Encoding: chunked.
			body = io.MultiReader(body)
		}
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, baseURL+c.Target, body)
	if err != nil {
		return Response{}, err
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("read body: %w", err)
	}
	return Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Allow: resp.Header.Get("Allow"), Body: b}, nil
}

// Check compares a response with the case; it returns one line per mismatch.
func (c Case) Check(s *Spec, r Response) []string {
	var diffs []string
	if r.Status != c.WantStatus {
		diffs = append(diffs, fmt.Sprintf("status %d, want %d", r.Status, c.WantStatus))
	}
	if r.ContentType != s.ContentType {
		diffs = append(diffs, fmt.Sprintf("Content-Type %q, want %q", r.ContentType, s.ContentType))
	}
	if c.WantAllow != "" && r.Allow != c.WantAllow {
		diffs = append(diffs, fmt.Sprintf("Allow %q, want %q", r.Allow, c.WantAllow))
	}
	if c.WantBody != nil && !bytes.Equal(r.Body, c.WantBody) {
		diffs = append(diffs, fmt.Sprintf("body %s, want %s", clip(r.Body), clip(c.WantBody)))
	}
	return diffs
}

func clip(b []byte) string {
	const n = 160
	if len(b) > n {
		return fmt.Sprintf("%q... (%d bytes)", b[:n], len(b))
	}
	return fmt.Sprintf("%q", b)
}
