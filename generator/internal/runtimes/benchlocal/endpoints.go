package benchlocal

import (
	"net/http"
	"strconv"
)

// Endpoint is one request of the API, sent alone at a fixed rate. The
// requests are those of the lab's k6 mix (phases/benchmarks.cue _apiMix),
// so that local and cluster figures measure the same work.
type Endpoint struct {
	Name   string
	Method string
	// Path includes the query; {n} is replaced by ComputeN.
	Path   string
	Body   []byte
	Header http.Header
}

// EchoBody is the body of POST /echo, as in the k6 mix.
const EchoBody = `{"message":"lab","n":42}`

var endpoints = []Endpoint{
	{Name: "health", Method: http.MethodGet, Path: "/health"},
	{Name: "json", Method: http.MethodGet, Path: "/json"},
	{Name: "compute", Method: http.MethodGet, Path: "/compute?n={n}"},
	{Name: "database", Method: http.MethodGet, Path: "/database?id=42"},
	{Name: "echo", Method: http.MethodPost, Path: "/echo", Body: []byte(EchoBody),
		Header: http.Header{"Content-Type": []string{"application/json"}}},
}

// EndpointNames lists the endpoints in their fixed order.
func EndpointNames() []string {
	out := make([]string, len(endpoints))
	for i, e := range endpoints {
		out[i] = e.Name
	}
	return out
}

func endpointByName(name string) (Endpoint, bool) {
	for _, e := range endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// endpointOrder is an endpoint's position, for sorting reports.
func endpointOrder(name string) int {
	for i, e := range endpoints {
		if e.Name == name {
			return i
		}
	}
	return len(endpoints)
}

// path is e's request path with n substituted.
func (e Endpoint) path(computeN int) string {
	if e.Name == "compute" {
		return "/compute?n=" + strconv.Itoa(computeN)
	}
	return e.Path
}
