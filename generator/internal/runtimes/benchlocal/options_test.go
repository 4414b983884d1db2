package benchlocal

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	ok := Defaults()
	tests := []struct {
		name string
		edit func(*Options)
		want string // "" = valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"rate at cap", func(o *Options) { o.Rate = MaxRate; o.Repetitions = 1 }, ""},
		{"rate above cap", func(o *Options) { o.Rate = MaxRate + 1 }, "--rate 5001: must be 1..5000"},
		{"rate zero", func(o *Options) { o.Rate = 0 }, "--rate 0"},
		{"duration above cap", func(o *Options) { o.Duration = 61 * time.Second; o.Repetitions = 1 }, "--duration 1m1s: must be 1s..1m0s"},
		{"duration below 1s", func(o *Options) { o.Duration = 500 * time.Millisecond }, "--duration 500ms"},
		{"warmup above cap", func(o *Options) { o.Warmup = time.Minute }, "--warmup 1m0s"},
		{"repetitions", func(o *Options) { o.Repetitions = 0 }, "--repetitions 0"},
		{"cold starts", func(o *Options) { o.ColdStarts = 21 }, "--cold-starts 21"},
		{"compute n", func(o *Options) { o.ComputeN = 100001 }, "--compute-n 100001"},
		{"unknown endpoint", func(o *Options) { o.Endpoints = []string{"json", "metrics"} }, `unknown endpoint "metrics"`},
		{"no endpoint", func(o *Options) { o.Endpoints = nil }, "--endpoints: none"},
		{"error rate", func(o *Options) { o.MaxErrorRate = 2 }, "--max-error-rate 2"},
		{"remote database", func(o *Options) { o.DatabaseURL = "postgres://lab:secret@10.1.2.3:5432/lab" }, `host "10.1.2.3" is not a loopback address`},
		{"total cap", func(o *Options) {
			o.Runtimes = []string{"go", "node", "bun"}
			o.Duration = time.Minute
			o.Repetitions = 3
		}, "planned load time 45m45s for 3 runtime(s) is above the 30m0s cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			o.Endpoints = append([]string(nil), ok.Endpoints...)
			tt.edit(&o)
			err := o.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate accepted, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate = %v, want it to contain %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the database password: %v", err)
			}
		})
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/json", true},
		{"http://127.3.4.5:80/", true},
		{"http://[::1]:8080/health", true},
		{"http://localhost:8080/", true},
		{"postgres://lab:lab@127.0.0.1:55432/lab?sslmode=disable", true},
		{"http://10.0.0.1:8080/", false},
		{"http://192.168.1.10/", false},
		{"http://172.16.0.1/", false},
		{"http://0.0.0.0:8080/", false},
		{"http://example.com/", false},
		{"http://127.0.0.1.example.com/", false},
		{"/json", false},
	}
	for _, tt := range tests {
		err := CheckLoopbackURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopbackURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestVariantRoundTrip(t *testing.T) {
	for _, rt := range []string{"go", "node", "bun", "rust", "dotnet"} {
		for _, ep := range EndpointNames() {
			gotRT, gotEP, ok := SplitVariant(Variant(rt, ep))
			if !ok || gotRT != rt || gotEP != ep {
				t.Errorf("SplitVariant(Variant(%s, %s)) = %s, %s, %v", rt, ep, gotRT, gotEP, ok)
			}
		}
	}
	for _, bad := range []string{"go", "-json", "go-", ""} {
		if _, _, ok := SplitVariant(bad); ok {
			t.Errorf("SplitVariant(%q) accepted", bad)
		}
	}
	if got := RunID(time.Date(2026, 11, 26, 7, 30, 0, 0, time.UTC), 3); got != "20261126T073000Z-r3" {
		t.Errorf("RunID = %s", got)
	}
}
