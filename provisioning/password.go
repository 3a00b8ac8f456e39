package provisioning

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Login password rules of the image purchase pages.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 26
	// PasswordSpecials are the special characters a password may contain.
	PasswordSpecials = "!@$%^-_=+[{}]:,./?"
)

// DefaultUsername is the login user of a Linux VM created from an image.
const DefaultUsername = "root"

// CheckPassword applies the login password rules: 8–26 characters; only
// upper-case and lower-case ASCII letters, digits and PasswordSpecials; at
// least three of those four classes; not containing username or username
// reversed (compared case-insensitively, which is stricter than a
// case-sensitive reading and never wrong for a login name); equal to
// confirm. field names the password in the errors ("password",
// "login.password"); the confirmation is reported as field + "_confirm".
// Errors never include the password.
//
// Errors: *FieldError (ErrInvalidInput) with Rule RuleRequired,
// RuleRange (length), RulePasswordChars, RuleUsername or RuleMismatch, all
// failures joined.
func CheckPassword(field string, password, confirm Secret, username string) error {
	var c checker
	checkPassword(&c, field, password, confirm, username)
	return c.err()
}

func checkPassword(c *checker, field string, password, confirm Secret, username string) {
	pw := password.Reveal()
	if pw == "" {
		c.add(field, RuleRequired, nil, "is required")
		return
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength || n > MaxPasswordLength {
		c.add(field, RuleRange, nil, fmt.Sprintf("must be %d to %d characters long, got %d",
			MinPasswordLength, MaxPasswordLength, n))
	}
	var upper, lower, digit, special, other bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(PasswordSpecials, r):
			special = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, special} {
		if b {
			classes++
		}
	}
	switch {
	case other:
		c.add(field, RulePasswordChars, nil, "may contain only letters, digits and "+PasswordSpecials)
	case classes < 3:
		c.add(field, RulePasswordChars, nil,
			fmt.Sprintf("must contain at least three of upper-case letters, lower-case letters, digits and %s; has %d", PasswordSpecials, classes))
	}
	if username != "" {
		lp, lu := strings.ToLower(pw), strings.ToLower(username)
		if strings.Contains(lp, lu) || strings.Contains(lp, reverse(lu)) {
			c.add(field, RuleUsername, nil, "must not contain the username or the username reversed")
		}
	}
	if pw != confirm.Reveal() {
		c.add(field+"_confirm", RuleMismatch, nil, "must equal the password")
	}
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
