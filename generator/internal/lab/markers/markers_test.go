package markers

import (
	"errors"
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name, log, want, err string
	}{
		{"plain", "a\nK6_SUMMARY_BEGIN\n{\"metrics\":{}}\nK6_SUMMARY_END\nb\n", "{\"metrics\":{}}\n", ""},
		{"crlf and blanks", "K6_SUMMARY_BEGIN\r\n{}\r\n  K6_SUMMARY_END  \r\n", "{}\n", ""},
		{"kubectl timestamps", "2026-01-01T00:00:00.1Z K6_SUMMARY_BEGIN\n{\"a\":1}\n2026-01-01T00:00:00.2Z K6_SUMMARY_END\n", "{\"a\":1}\n", ""},
		{"multi-line json", "K6_SUMMARY_BEGIN\n{\n \"a\": 1\n}\nK6_SUMMARY_END", "{\n \"a\": 1\n}\n", ""},
		{"none", "just logs\n", "", "no K6_SUMMARY_BEGIN"},
		{"truncated", "K6_SUMMARY_BEGIN\n{\"a\":", "", "truncated log"},
		{"end first", "K6_SUMMARY_END\n", "", "line 1: K6_SUMMARY_END without"},
		{"nested begin", "K6_SUMMARY_BEGIN\nK6_SUMMARY_BEGIN\n", "", "line 2"},
		{"two summaries", "K6_SUMMARY_BEGIN\n{}\nK6_SUMMARY_END\nK6_SUMMARY_BEGIN\n{}\nK6_SUMMARY_END\n", "", "more than one run"},
		{"empty block", "K6_SUMMARY_BEGIN\n\nK6_SUMMARY_END\n", "", "empty summary"},
		{"marker inside text is not a marker", "echo K6_SUMMARY_BEGINNING\n", "", "no K6_SUMMARY_BEGIN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Extract(strings.NewReader(tc.log))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
	if _, err := Extract(strings.NewReader("")); !errors.Is(err, ErrNoSummary) {
		t.Errorf("empty log: %v", err)
	}
}

// A summary line far beyond bufio's default token size is read whole.
func TestExtractLongLine(t *testing.T) {
	body := "{\"x\":\"" + strings.Repeat("a", 1<<20) + "\"}"
	got, err := Extract(strings.NewReader(Begin + "\n" + body + "\n" + End + "\n"))
	if err != nil || len(got) != len(body)+1 {
		t.Fatalf("len %d err %v", len(got), err)
	}
}

// FuzzExtract: any log gives a summary or an error, never a panic, and a
// summary is never larger than the log nor than MaxSummaryBytes.
func FuzzExtract(f *testing.F) {
	f.Fuzz(func(t *testing.T, log []byte) {
		got, err := Extract(strings.NewReader(string(log)))
		if err != nil {
			if len(err.Error()) > 300 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if len(got) > len(log)+1 || len(got) > MaxSummaryBytes {
			t.Fatalf("summary of %d bytes from a log of %d", len(got), len(log))
		}
	})
}
