package provisioning

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// checker collects field failures so that Validate reports all of them at
// once (joined with errors.Join) rather than one per round trip.
type checker struct {
	errs []error
}

func (c *checker) add(field, rule string, value any, reason string) {
	c.errs = append(c.errs, &FieldError{Field: field, Rule: rule, Value: value, Reason: reason})
}

func (c *checker) err() error { return errors.Join(c.errs...) }

// id checks a required identifier of at most maxLen characters.
func (c *checker) id(field, v string, maxLen int) {
	if strings.TrimSpace(v) == "" {
		c.add(field, RuleRequired, nil, "is required")
		return
	}
	c.maxLen(field, v, maxLen)
}

// uniqueID checks a required identifier of at most MaxIDLength characters
// that must not repeat among those already seen, and records it.
func (c *checker) uniqueID(field, v string, seen map[string]bool) {
	c.id(field, v, MaxIDLength)
	if seen[v] {
		c.add(field, RuleDuplicate, v, "is repeated")
	}
	seen[v] = true
}

// maxLen checks an optional string of at most maxLen characters.
func (c *checker) maxLen(field, v string, maxLen int) {
	if n := utf8.RuneCountInString(v); n > maxLen {
		c.add(field, RuleMaxLength, truncate(v), fmt.Sprintf("must be at most %d characters, got %d", maxLen, n))
	}
}

// truncate keeps error messages short when the offending value is huge.
func truncate(s string) string {
	const keep = 64
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	r := []rune(s)
	return string(r[:keep]) + "…"
}
