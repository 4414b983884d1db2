package load

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInvalidUTF8(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		b         byte
		bad       bool
	}{
		{"package phases\n", 0, 0, 0, false},
		{"package phases\n// café ✓\n", 0, 0, 0, false},
		{"\xff\xfe", 1, 1, 0xff, true},
		{"package phases\n\nlab: name: \"a\xe9b\"\n", 3, 14, 0xe9, true},
		{"package phases\n// ✓ then \xc3\n", 2, 13, 0xc3, true}, // columns count bytes; a truncated sequence
	}
	for _, tt := range tests {
		line, col, b, bad := invalidUTF8([]byte(tt.src))
		if line != tt.line || col != tt.col || b != tt.b || bad != tt.bad {
			t.Errorf("invalidUTF8(%q) = %d:%d 0x%02x %v, want %d:%d 0x%02x %v", tt.src, line, col, b, bad, tt.line, tt.col, tt.b, tt.bad)
		}
	}
}

// A phases/ file saved in Latin-1 is refused at its first non-UTF-8
// byte, with its line and column (CUE's own message has neither).
func TestLoadNotUTF8(t *testing.T) {
	root := smallLab(t)
	latin1 := "package phases\n\n// R\xe9sum\xe9 of the lab\nlab: description: \"x\"\n"
	if err := os.WriteFile(filepath.Join(root, "phases", "notes.cue"), []byte(latin1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(root)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("want one positioned error, got %v", err)
	}
	if e := es[0]; e.File != "phases/notes.cue" || e.Line != 3 || e.Col != 5 || !strings.Contains(e.Msg, "0xe9 is not UTF-8") {
		t.Errorf("error %+v, want phases/notes.cue:3:5 naming byte 0xe9", e)
	}
}
