package history

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// levels is a synthetic series: segment i holds n[i] points around mean[i]
// with Gaussian noise of standard deviation sd, from a fixed seed.
func levels(seed uint64, sd float64, n []int, mean []float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 17))
	var x []float64
	for i := range n {
		for j := 0; j < n[i]; j++ {
			x = append(x, mean[i]+sd*rng.NormFloat64())
		}
	}
	return x
}

func constant(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func TestDetect(t *testing.T) {
	spike := levels(3, 1, []int{40}, []float64{100})
	spike[20] = 1000
	for _, tc := range []struct {
		name string
		x    []float64
		o    Options
		want []int
	}{
		{"constant", constant(40, 7), Options{}, nil},
		{"noise only", levels(1, 1, []int{60}, []float64{50}), Options{}, nil},
		{"one step up", levels(2, 1, []int{20, 20}, []float64{10, 15}), Options{}, []int{20}},
		{"one step down", levels(4, 2, []int{30, 20}, []float64{100, 80}), Options{}, []int{30}},
		{"two steps", levels(5, 0.5, []int{20, 25, 25}, []float64{10, 15, 12}), Options{}, []int{20, 45}},
		{"three steps, a return to the first level", levels(6, 0.5, []int{15, 15, 15, 15}, []float64{10, 14, 10, 20}), Options{}, []int{15, 30, 45}},
		{"shift well within the noise", levels(7, 1, []int{20, 20}, []float64{10, 10.05}), Options{}, nil},
		{"one outlier is not a change", spike, Options{}, nil},
		{"too short for two segments", levels(8, 0.1, []int{4, 3}, []float64{1, 2}), Options{}, nil},
		{"step shorter than a segment", levels(9, 0.1, []int{2, 28}, []float64{1, 2}), Options{}, nil},
		{"a recent change at the end of a long series", levels(10, 1, []int{90, 10}, []float64{20, 26}), Options{}, []int{90}},
		{"ties: price steps of a constant cost", append(constant(12, 0.5), constant(12, 0.75)...), Options{}, []int{12}},
		{"a regression of 10 runs, then its fix", levels(11, 0.2, []int{20, 10, 20}, []float64{10, 14, 10}), Options{}, []int{20, 30}},
		{"a larger minimum segment hides it", levels(11, 0.2, []int{20, 10, 20}, []float64{10, 14, 10}), Options{MinSegment: 11}, nil},
		{"an excursion of 5 runs is too short to claim", levels(11, 0.2, []int{20, 5, 20}, []float64{10, 14, 10}), Options{}, nil},
		{"a stricter alpha keeps a clear step", levels(12, 1, []int{20, 20}, []float64{10, 15}), Options{Alpha: 0.001}, []int{20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.x)
			got := Detect(tc.x, tc.o)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
			if !slices.Equal(in, tc.x) {
				t.Error("Detect modified its input")
			}
		})
	}
}

// bruteU is Pettitt's U_t by its definition, O(n²).
func bruteU(x []float64, t int) int64 {
	var u int64
	for i := 0; i < t; i++ {
		for j := t; j < len(x); j++ {
			switch {
			case x[i] > x[j]:
				u++
			case x[i] < x[j]:
				u--
			}
		}
	}
	return u
}

func TestPettittMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(60)
		x := make([]float64, n)
		for i := range x {
			// Few distinct values: many ties.
			x[i] = float64(rng.IntN(5))
			if trial%2 == 0 {
				x[i] = rng.NormFloat64()
			}
		}
		minSeg := 1 + rng.IntN(4)
		gotT, gotK, gotP := Pettitt(x, minSeg)
		if n < 2*minSeg {
			if gotT != 0 || gotP != 1 {
				t.Fatalf("n=%d minSeg=%d: got t=%d p=%v, want no split", n, minSeg, gotT, gotP)
			}
			continue
		}
		wantT, wantK := 0, int64(-1)
		for s := minSeg; s <= n-minSeg; s++ {
			u := bruteU(x, s)
			if u < 0 {
				u = -u
			}
			if u > wantK {
				wantT, wantK = s, u
			}
		}
		if gotT != wantT || gotK != float64(wantK) {
			t.Fatalf("x=%v minSeg=%d: Pettitt t=%d K=%v, definition t=%d K=%d", x, minSeg, gotT, gotK, wantT, wantK)
		}
		nf := float64(n)
		if want := math.Min(1, 2*math.Exp(-6*float64(wantK*wantK)/(nf*nf*nf+nf*nf))); math.Abs(gotP-want) > 1e-12 {
			t.Fatalf("p = %v, want %v", gotP, want)
		}
	}
}

func TestPettittSignificance(t *testing.T) {
	// A perfect split of 12 points (6 low, 6 high): K = 36,
	// p = 2·exp(−6·36² / (12³ + 12²)) = 2·exp(−4.1538...) ≈ 0.031408.
	x := append(constant(6, 1), constant(6, 2)...)
	tt, k, p := Pettitt(x, 1)
	if tt != 6 || k != 36 || math.Abs(p-0.031408) > 1e-5 {
		t.Errorf("Pettitt = t %d, K %v, p %v; want 6, 36, 0.031408", tt, k, p)
	}
	// A constant series has U_t = 0 everywhere: p is capped at 1.
	if _, k, p := Pettitt(constant(10, 3), 1); k != 0 || p != 1 {
		t.Errorf("constant: K %v p %v, want 0 and 1", k, p)
	}
}

func TestMannWhitneyLeavesInput(t *testing.T) {
	a, b := []float64{3, 1, 2, 4}, []float64{9, 7, 8, 6}
	p := MannWhitney(a, b)
	if !slices.Equal(a, []float64{3, 1, 2, 4}) || !slices.Equal(b, []float64{9, 7, 8, 6}) {
		t.Error("MannWhitney sorted its input")
	}
	// 4 against 4, completely separated: the exact two-sided p is 2/70.
	if math.Abs(p-2.0/70) > 1e-9 {
		t.Errorf("p = %v, want %v", p, 2.0/70)
	}
}

// TestDetectFalseAlarms: on series without change, a change is reported in
// at most alpha of them (Bonferroni over the seeded intervals).
func TestDetectFalseAlarms(t *testing.T) {
	const trials = 300
	alarms := 0
	for seed := uint64(0); seed < trials; seed++ {
		n := 20 + int(seed%5)*20
		if len(Detect(levels(1000+seed, 1, []int{n}, []float64{100}), Options{})) > 0 {
			alarms++
		}
	}
	if rate := float64(alarms) / trials; rate > DefaultAlpha {
		t.Errorf("%d of %d series without change have a change point (%.3f > alpha %v)", alarms, trials, rate, DefaultAlpha)
	}
}

// TestDetectPower: a step of 3 standard deviations between two stretches
// of 15 runs is found, within one run of where it is, in at least 95% of
// series.
func TestDetectPower(t *testing.T) {
	const trials = 200
	found := 0
	for seed := uint64(0); seed < trials; seed++ {
		got := Detect(levels(5000+seed, 1, []int{15, 15}, []float64{100, 103}), Options{})
		if len(got) == 1 && got[0] >= 14 && got[0] <= 16 {
			found++
		}
	}
	if rate := float64(found) / trials; rate < 0.95 {
		t.Errorf("step found in %d of %d series (%.3f < 0.95)", found, trials, rate)
	}
}

func TestSeededIntervals(t *testing.T) {
	got := SeededIntervals(40, 4)
	want := []Interval{{0, 40}, {0, 20}, {10, 30}, {20, 40}, {0, 10}, {5, 15}, {10, 20}, {15, 25}, {20, 30}, {25, 35}, {30, 40}}
	if !slices.Equal(got, want) {
		t.Errorf("SeededIntervals(40, 4) = %v, want %v", got, want)
	}
	if got := SeededIntervals(7, 4); len(got) != 0 {
		t.Errorf("SeededIntervals(7, 4) = %v, want none (no room for two segments)", got)
	}
	for _, iv := range SeededIntervals(1000, 4) {
		if iv.Lo < 0 || iv.Hi > 1000 || iv.Hi-iv.Lo < 8 {
			t.Fatalf("interval %v outside [0, 1000) or shorter than two segments", iv)
		}
	}
}
