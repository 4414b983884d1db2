package history

import (
	"math"
	"slices"
	"sort"

	"golang.org/x/perf/benchmath"
)

// Defaults of change-point detection.
const (
	// DefaultMinSegment is the fewest runs a segment may hold: the
	// Mann-Whitney test that confirms a change can reach p < 0.05 from 4
	// runs on each side.
	DefaultMinSegment = 4
	// DefaultAlpha is the significance level of both tests.
	DefaultAlpha = 0.05
)

// Options tune Detect.
type Options struct {
	// MinSegment is the fewest points between two change points (and
	// before the first, after the last); 0 means DefaultMinSegment.
	MinSegment int
	// Alpha is the significance level; 0 means DefaultAlpha.
	Alpha float64
}

func (o Options) norm() Options {
	if o.MinSegment <= 0 {
		o.MinSegment = DefaultMinSegment
	}
	if o.Alpha <= 0 {
		o.Alpha = DefaultAlpha
	}
	return o
}

// Pettitt is Pettitt's nonparametric test for one change in location
// (A. N. Pettitt, "A non-parametric approach to the change-point problem",
// Applied Statistics 28(2), 1979). For every split t it computes the
// Mann-Whitney statistic U_t = Σ_{i<t} Σ_{j≥t} sgn(x_i − x_j) of the points
// before t against those from t on; the change is at the t maximizing
// K = |U_t|, with the approximate significance p ≈ 2·exp(−6K² / (n³ + n²)).
// Splits are restricted to t in [minSeg, n−minSeg], which can only make p
// larger (conservative). It runs in O(n log n): U_t = U_{t−1} + V_{t−1}
// where V_i = Σ_j sgn(x_i − x_j) = 2·rank(x_i) − (n + 1), midranks for ties.
// It returns t = 0 and p = 1 when no split is allowed.
func Pettitt(x []float64, minSeg int) (t int, k float64, p float64) {
	t, k, _ = scan(x, minSeg)
	if t == 0 {
		return 0, 0, 1
	}
	return t, k, pettittP(k, len(x))
}

func pettittP(k float64, n int) float64 {
	nf := float64(n)
	return math.Min(1, 2*math.Exp(-6*k*k/(nf*nf*nf+nf*nf)))
}

// scan computes U_t for every allowed split and returns Pettitt's split
// (the largest |U_t|, the first on ties), K, and the split of the largest
// standardized |U_t| / sqrt(t·(n−t)): Pettitt's unweighted statistic
// favours the middle of a series, the standardized one (the Mann-Whitney
// z of the split, whose variance is t·(n−t)·(n+1)/12) places a change near
// an end where it is.
func scan(x []float64, minSeg int) (t int, k float64, best int) {
	n := len(x)
	if minSeg < 1 {
		minSeg = 1
	}
	if n < 2*minSeg {
		return 0, 0, 0
	}
	v := signSums(x)
	var u int64
	maxU, maxZ := int64(-1), -1.0
	for s := 1; s <= n-minSeg; s++ {
		u += v[s-1]
		if s < minSeg {
			continue
		}
		a := u
		if a < 0 {
			a = -a
		}
		if a > maxU {
			maxU, t = a, s
		}
		if z := float64(a) / math.Sqrt(float64(s)*float64(n-s)); z > maxZ {
			maxZ, best = z, s
		}
	}
	return t, float64(maxU), best
}

// cusum returns the split of largest standardized cumulative sum of the
// values, |Σ_{i<t} (x_i − mean)| / sqrt(t·(n−t)), the first on ties: the
// least-squares place of a step in the mean. Ranks ignore how far apart
// two levels are; values do not, so a large step is placed exactly where
// ranks of noisy points next to it may move it by a few.
func cusum(x []float64, minSeg int) int {
	n := len(x)
	if minSeg < 1 {
		minSeg = 1
	}
	if n < 2*minSeg {
		return 0
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	c, best, t := 0.0, -1.0, 0
	for s := 1; s <= n-minSeg; s++ {
		c += x[s-1] - mean
		if s < minSeg {
			continue
		}
		if z := math.Abs(c) / math.Sqrt(float64(s)*float64(n-s)); z > best {
			best, t = z, s
		}
	}
	return t
}

// signSums returns V_i = Σ_j sgn(x_i − x_j) for every i, from the twice
// midranks (integers): V_i = 2·rank_i − (n + 1).
func signSums(x []float64) []int64 {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	v := make([]int64, n)
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && x[idx[hi]] == x[idx[lo]] {
			hi++
		}
		// Positions lo+1..hi (1-based) share the midrank (lo+1+hi)/2.
		twice := int64(lo + 1 + hi)
		for _, i := range idx[lo:hi] {
			v[i] = twice - int64(n+1)
		}
		lo = hi
	}
	return v
}

// MannWhitney is the two-sided Mann-Whitney U p-value of a against b
// (benchmath, as results compare uses it). It does not modify a or b.
func MannWhitney(a, b []float64) float64 {
	th := benchmath.DefaultThresholds
	sa := benchmath.NewSample(slices.Clone(a), &th)
	sb := benchmath.NewSample(slices.Clone(b), &th)
	return benchmath.AssumeNothing.Compare(sa, sb).P
}

// Interval is a stretch [Lo, Hi) of a series searched for one change.
type Interval struct{ Lo, Hi int }

// SeededIntervals are the deterministic intervals of seeded binary
// segmentation (S. Kovács, H. Li, P. Bühlmann, A. Munk, "Seeded binary
// segmentation: a general methodology for fast and optimal changepoint
// detection", Biometrika 110(1), 2023) with decay 1/2: at scale k = 1, 2,
// ... the 2^k − 1 intervals of length n/2^(k−1), evenly shifted so that
// consecutive ones overlap by half, down to the shortest length that can
// hold two segments of minSeg points.
func SeededIntervals(n, minSeg int) []Interval {
	var out []Interval
	for _, sc := range seededScales(n, minSeg) {
		out = append(out, sc...)
	}
	return out
}

// seededScales are the seeded intervals, one slice per scale.
func seededScales(n, minSeg int) [][]Interval {
	var out [][]Interval
	for k := 0; ; k++ {
		length := float64(n) / math.Pow(2, float64(k))
		if length < float64(2*minSeg) {
			return out
		}
		count := 1<<(k+1) - 1
		shift := 0.0
		if count > 1 {
			shift = (float64(n) - length) / float64(count-1)
		}
		var sc []Interval
		for i := 0; i < count; i++ {
			lo := int(math.Floor(float64(i) * shift))
			hi := int(math.Ceil(float64(i)*shift + length))
			if hi > n {
				hi = n
			}
			if hi-lo >= 2*minSeg {
				sc = append(sc, Interval{lo, hi})
			}
		}
		out = append(out, sc)
	}
}

// SplitP is the significance of a split of x at t, valid however t was
// chosen among the
// possible splits: twice the smaller of Pettitt's approximate p and the
// Mann-Whitney U p of the two sides multiplied by the number of splits
// searched (Bonferroni over the two tests, and over the positions for the
// second), capped at 1. Pettitt's approximation is conservative and weak
// below about 20 points; the corrected Mann-Whitney p is exact for small
// samples without ties, so clear changes in short stretches are found.
func SplitP(x []float64, t, minSeg int) float64 {
	_, k, _ := scan(x, minSeg)
	return splitP(x, t, minSeg, k)
}

func splitP(x []float64, t, minSeg int, k float64) float64 {
	pp := pettittP(k, len(x))
	pm := MannWhitney(x[:t], x[t:]) * float64(len(x)-2*minSeg+1)
	return math.Min(1, 2*math.Min(pp, pm))
}

// bestSplitP is the smallest SplitP an interval of n points can give: two
// sides of n/2 points each, every point of one above every point of the
// other (the exact Mann-Whitney p of complete separation is 2/C(n, n/2)).
func bestSplitP(n, minSeg int) float64 {
	t := n / 2
	lc, _ := math.Lgamma(float64(n + 1))
	la, _ := math.Lgamma(float64(t + 1))
	lb, _ := math.Lgamma(float64(n - t + 1))
	pm := 2 * math.Exp(la+lb-lc) * float64(n-2*minSeg+1)
	pp := pettittP(float64(t*(n-t)), n)
	return math.Min(1, 2*math.Min(pp, pm))
}

// Searched are the seeded intervals Detect tests: scale by scale from the
// longest, as long as an interval of the scale could reach significance at
// alpha / m, m the number of intervals of the scales kept so far. Shorter
// intervals could never show a change and would only raise m. The choice
// depends on n and the options, never on the data, so the Bonferroni
// correction over them holds.
func Searched(n int, o Options) []Interval {
	o = o.norm()
	var out []Interval
	for _, sc := range seededScales(n, o.MinSegment) {
		if len(sc) == 0 {
			break
		}
		shortest := n
		for _, iv := range sc {
			shortest = min(shortest, iv.Hi-iv.Lo)
		}
		if bestSplitP(shortest, o.MinSegment) >= o.Alpha/float64(len(out)+len(sc)) {
			break
		}
		out = append(out, sc...)
	}
	return out
}

// Detect finds the change points of a series: the indices at which a new
// segment starts, sorted. It is seeded binary segmentation (see
// SeededIntervals, Searched) with Pettitt's rank statistic and greedy selection:
// every seeded interval proposes a split, where the standardized U_t (see
// Pettitt) or the standardized cumulative sum of the values peaks,
// whichever has the smaller SplitP; the most
// significant proposal is kept, the intervals containing it are dropped,
// and so on while a proposal's p (SplitP) is below alpha / m, m the number
// of intervals tested (Bonferroni: on a series without change, the chance
// of reporting one is at most alpha). Each split leaves at least
// MinSegment points on both sides. A last pass removes, one at a time, the
// change point whose adjacent segments differ least until every remaining
// one separates segments that differ significantly (Mann-Whitney U p <
// alpha, benchmath).
func Detect(x []float64, o Options) []int {
	o = o.norm()
	ivs := Searched(len(x), o)
	if len(ivs) == 0 {
		return nil
	}
	type cand struct {
		iv   Interval
		t    int
		k, p float64
	}
	cands := make([]cand, 0, len(ivs))
	for _, iv := range ivs {
		seg := x[iv.Lo:iv.Hi]
		_, k, t := scan(seg, o.MinSegment)
		if t == 0 || k == 0 {
			continue
		}
		p := splitP(seg, t, o.MinSegment, k)
		if tv := cusum(seg, o.MinSegment); tv != t {
			if pv := splitP(seg, tv, o.MinSegment, k); pv < p {
				t, p = tv, pv
			}
		}
		if p < o.Alpha/float64(len(ivs)) {
			cands = append(cands, cand{iv, iv.Lo + t, k, p})
		}
	}
	// Most significant first; ties by the narrower interval, then position.
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.p != b.p {
			return a.p < b.p
		}
		if la, lb := a.iv.Hi-a.iv.Lo, b.iv.Hi-b.iv.Lo; la != lb {
			return la < lb
		}
		return a.t < b.t
	})
	var cps []int
	for _, c := range cands {
		inside := false
		for _, cp := range cps {
			if cp > c.iv.Lo && cp < c.iv.Hi {
				inside = true
				break
			}
		}
		if !inside {
			cps = append(cps, c.t)
		}
	}
	sort.Ints(cps)
	for len(cps) > 0 {
		worst, worstP := -1, -1.0
		for i, c := range cps {
			lo, hi := 0, len(x)
			if i > 0 {
				lo = cps[i-1]
			}
			if i+1 < len(cps) {
				hi = cps[i+1]
			}
			if p := MannWhitney(x[lo:c], x[c:hi]); p > worstP {
				worst, worstP = i, p
			}
		}
		if worstP < o.Alpha {
			break
		}
		cps = slices.Delete(cps, worst, worst+1)
	}
	return cps
}
