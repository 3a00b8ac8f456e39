package marketplace_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/opengallery/opengallery/marketplace"
)

func TestWords(t *testing.T) {
	got := marketplace.Words("Mail-Hosting (EU) v2.0, für Büros")
	want := []string{"mail", "hosting", "eu", "v2", "0", "für", "büros"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Words = %q, want %q", got, want)
	}
	if !marketplace.MatchesWords(got, marketplace.SearchTerms("HOST bü")) || marketplace.MatchesWords(got, marketplace.SearchTerms("osting")) {
		t.Fatal("prefix matching")
	}
}

// FuzzWords: words are non-empty, lower-case runs of letters and digits,
// and every word of a text matches that text.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"", "Mail Hosting", "a-b_c", "ÄÖÜ ß", "\xff\xfe", "x1 2y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws := marketplace.Words(s)
		for _, w := range ws {
			if w == "" {
				t.Fatal("empty word")
			}
			for _, r := range w {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Fatalf("word %q has %q", w, r)
				}
			}
		}
		if !marketplace.MatchesWords(ws, ws) {
			t.Fatalf("the words of %q do not match themselves", s)
		}
	})
}
