package format

import (
	"math"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{12.345, "12.35"},
		{-12.345, "-12.35"},
		{0.001234567, "0.001235"},
		{999.96, "1000"},
		{1000, "1000"},
		{12345.6, "12346"},
		{1e9, "1000000000"},
		{0.00001234, "1.234e-05"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "∞"},
		{math.Inf(-1), "-∞"},
	} {
		if got := Number(tc.in); got != tc.want {
			t.Errorf("Number(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{12345.6, "12350"},
		{0.00001234, "0.00001234"},
		{3.14159, "3.142"},
		{math.NaN(), "0"},
		{math.Inf(1), "0"},
	} {
		if got := Plain(tc.in); got != tc.want {
			t.Errorf("Plain(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzNumber(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 1e-300, 1e300, 0.5, 999.95} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		s := Number(v)
		if s == "" {
			t.Fatalf("Number(%v) is empty", v)
		}
		_ = Plain(v)
	})
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{6 * time.Hour, "6h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{150 * time.Second, "2m30s"},
		{2 * time.Minute, "2m"},
		{500 * time.Millisecond, "500ms"},
		{0, "0s"},
		{900*time.Hour + 150*time.Second, "900h2m30s"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
