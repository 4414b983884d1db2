package pins

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docFile is the evidence table: where each pin was confirmed upstream.
const docFile = "docs/chart-pins.md"

// docSections are the headings whose tables list the lab's pins, and the
// kind each one holds. Other sections (audits, candidates not pinned yet)
// are prose to this test.
var docSections = map[string]string{
	"## Chart pins":     Chart,
	"## Image pins":     Image,
	"## Test tool pins": Module,
	"## Other pins":     Manifest,
	"## Vendored CRDs":  CRDs,
}

// docRow is one pin as the document records it.
type docRow struct {
	kind, name, version, repository string
	line                            int
}

func (r docRow) String() string {
	s := r.kind + " " + r.name + " " + r.version
	if r.repository != "" {
		s += " (" + r.repository + ")"
	}
	return fmt.Sprintf("%s:%d: %s", docFile, r.line, s)
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// cellValue is a table cell's first code span, else the cell's text.
func cellValue(cell string) string {
	if m := codeSpan.FindStringSubmatch(cell); m != nil {
		return strings.TrimSpace(m[1])
	}
	return strings.TrimSpace(cell)
}

// parseDoc reads the pin tables: the first column names the pin, the
// second its version; a chart's fourth column is its repository.
func parseDoc(text string) ([]docRow, error) {
	var rows []docRow
	kind := ""
	header := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			kind = docSections[strings.TrimSpace(line)]
			header = true
			continue
		}
		if kind == "" || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if header { // the column names, then the |---| line
			if strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
				header = false
			}
			continue
		}
		if len(cells) < 2 {
			return nil, fmt.Errorf("%s:%d: a pin row needs a name and a version", docFile, i+1)
		}
		r := docRow{kind: kind, name: cellValue(cells[0]), version: cellValue(cells[1]), line: i + 1}
		if kind == Chart {
			if len(cells) < 4 {
				return nil, fmt.Errorf("%s:%d: a chart row needs chart, version, appVersion and repository", docFile, i+1)
			}
			r.repository = cellValue(cells[3])
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// docVersion is how the document writes a pin's version.
func docVersion(p Pin) string {
	if p.Digest != "" {
		return p.Version + "@" + p.Digest
	}
	return p.Version
}

// checkDoc compares the lab's pins with the document's rows: every pin
// has its row with the same version, and every row is a pin.
func checkDoc(ps []Pin, rows []docRow) []string {
	var problems []string
	matches := func(p Pin, r docRow) bool {
		return r.kind == p.Kind && r.name == p.Name && r.repository == p.Repository
	}
	used := make([]bool, len(rows))
	documented := make([]bool, len(ps))
	for pi, p := range ps {
		var same []int
		found := false
		for i, r := range rows {
			if !matches(p, r) {
				continue
			}
			same = append(same, i)
			if r.version == docVersion(p) {
				if found {
					problems = append(problems, fmt.Sprintf("%v: listed twice", r))
				}
				found, used[i] = true, true
			}
		}
		where := strings.Join(p.Uses, ", ")
		documented[pi] = found
		switch {
		case found:
		case len(same) > 0:
			var docs []string
			for _, i := range same {
				docs = append(docs, fmt.Sprintf("%s (line %d)", rows[i].version, rows[i].line))
			}
			problems = append(problems, fmt.Sprintf("%s %s: the lab pins %s (%s), %s records %s: confirm the new version upstream and update its row", p.Kind, p.Name, docVersion(p), where, docFile, strings.Join(docs, ", ")))
		default:
			name := p.Name
			if p.Repository != "" {
				name += " (" + p.Repository + ")"
			}
			problems = append(problems, fmt.Sprintf("%s %s %s (%s) is not in %s: confirm it upstream and add its row", p.Kind, name, docVersion(p), where, docFile))
		}
	}
	for i, r := range rows {
		if used[i] {
			continue
		}
		named, undocumented := false, false
		for pi, p := range ps {
			if matches(p, r) {
				named, undocumented = true, undocumented || !documented[pi]
			}
		}
		switch {
		case !named:
			problems = append(problems, fmt.Sprintf("%v: no such pin in the lab: remove the row", r))
		case !undocumented: // not already reported as a version that differs
			problems = append(problems, fmt.Sprintf("%v: the lab pins no such version: remove the row", r))
		}
	}
	return problems
}

func readDoc(t *testing.T) []docRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, docFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseDoc(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no pin rows under %v", docFile, docSections)
	}
	return rows
}

// Every pin of the lab is in docs/chart-pins.md at the version the lab
// pins, and the document lists nothing the lab does not pin.
func TestPinsDocumented(t *testing.T) {
	for _, p := range checkDoc(realPins(t), readDoc(t)) {
		t.Error(p)
	}
}

// The check fails when the lab moves a pin without the document, and
// when the document keeps a row the lab dropped.
func TestCheckDocCatchesDrift(t *testing.T) {
	ps, rows := realPins(t), readDoc(t)
	if len(checkDoc(ps, rows)) > 0 {
		t.Skip("the document is not current: TestPinsDocumented says why")
	}
	for _, kind := range []string{Chart, Image, Module, Manifest, CRDs} {
		i := slices.IndexFunc(ps, func(p Pin) bool { return p.Kind == kind })
		if i < 0 {
			t.Fatalf("no %s pin to move", kind)
		}
		moved := slices.Clone(ps)
		moved[i].Version += ".1"
		if len(checkDoc(moved, rows)) == 0 {
			t.Errorf("moving %s %s to %s went unnoticed", kind, ps[i].Name, moved[i].Version)
		}
		dropped := slices.Delete(slices.Clone(ps), i, i+1)
		if len(checkDoc(dropped, rows)) == 0 {
			t.Errorf("dropping %s %s left its row unnoticed", kind, ps[i].Name)
		}
	}
}
