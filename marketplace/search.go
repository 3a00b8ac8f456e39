package marketplace

import (
	"strings"
	"unicode"
)

// Words splits s into the lower-cased words catalog text search matches
// against: maximal runs of letters and digits. Stores use it (or an
// equivalent tokenizer such as SQLite FTS5 unicode61 or PostgreSQL's simple
// configuration) so that every store answers a text query alike.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// SearchTerms splits a query's Text into its lower-cased terms: the words of
// the text, as Words does.
func SearchTerms(text string) []string { return Words(text) }

// MatchesText reports whether every term is a prefix of some word of the
// product's name, description or seller name: the ProductQuery.Text rule.
func MatchesText(p Product, terms []string) bool {
	if len(terms) == 0 {
		return true
	}
	words := Words(p.Name + " " + p.Description + " " + p.SellerName)
	return MatchesWords(words, terms)
}

// MatchesWords reports whether every term is a prefix of one of words.
func MatchesWords(words, terms []string) bool {
	for _, t := range terms {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
