package provisioning_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/provisioning"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		confirm  string // "=" means the same as password
		username string
		want     []string
	}{
		{"three classes: upper lower digit", "Abcdefg1", "=", "root", nil},
		{"three classes: lower digit special", "abc-1234", "=", "root", nil},
		{"three classes: upper digit special", "ABC_1234", "=", "root", nil},
		{"four classes", "Ab1!Ab1!", "=", "root", nil},
		{"every special allowed", "Aa1!@$%^-_=+[{}]:,./?", "=", "root", nil},
		{"8 characters is the minimum", "Aa1aaaaa", "=", "root", nil},
		{"7 characters", "Aa1aaaa", "=", "root", []string{"password:range"}},
		{"26 characters is the maximum", "Aa1" + strings.Repeat("a", 23), "=", "root", nil},
		{"27 characters", "Aa1" + strings.Repeat("a", 24), "=", "root", []string{"password:range"}},
		{"two classes", "abcdefgh1", "=", "root", []string{"password:password_chars"}},
		{"one class", "abcdefghij", "=", "root", []string{"password:password_chars"}},
		{"# is not a special", "Abcdef1#", "=", "root", []string{"password:password_chars"}},
		{"space not allowed", "Abc def1", "=", "root", []string{"password:password_chars"}},
		{"non-ASCII letter", "Äbcdefg1", "=", "root", []string{"password:password_chars"}},
		{"contains the username", "Xroot-123", "=", "root", []string{"password:username"}},
		{"contains the username reversed", "Xtoor-123", "=", "root", []string{"password:username"}},
		{"username in another case", "XROOT-123", "=", "root", []string{"password:username"}},
		{"Administrator reversed", "rotartsinimdA-1", "=", "Administrator", []string{"password:username"}},
		{"no username", "Xroot-123", "=", "", nil},
		{"confirmation differs", "Abcdefg1", "Abcdefg2", "root", []string{"password_confirm:mismatch"}},
		{"confirmation empty", "Abcdefg1", "", "root", []string{"password_confirm:mismatch"}},
		{"empty", "", "", "root", []string{"password:required"}},
		{"everything wrong", "root", "x", "root", []string{"password:range", "password:password_chars", "password:username", "password_confirm:mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			confirm := tt.confirm
			if confirm == "=" {
				confirm = tt.password
			}
			err := provisioning.CheckPassword("password", provisioning.NewSecret(tt.password), provisioning.NewSecret(confirm), tt.username)
			if diff := cmp.Diff(tt.want, fieldRules(err)); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if err != nil && tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error shows the password: %v", err)
			}
			for _, fe := range provisioning.FieldErrors(err) {
				if fe.Value != nil {
					t.Errorf("password error carries a value: %#v", fe)
				}
			}
		})
	}
}

// FuzzCheckPassword: never panics, never echoes the password, and accepts
// exactly what the rules describe.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"Abcdefg1", "abc", "Xtoor-123", "Aa1!@$%^-_=+[{}]:,./?", "\xff\xfe", "Ä" + strings.Repeat("a", 30)} {
		f.Add(s, "root")
	}
	f.Fuzz(func(t *testing.T, password, username string) {
		err := provisioning.CheckPassword("p", provisioning.NewSecret(password), provisioning.NewSecret(password), username)
		if err != nil && !errors.Is(err, provisioning.ErrInvalidInput) {
			t.Fatalf("error does not wrap ErrInvalidInput: %v", err)
		}
		if err != nil && len(password) >= 6 && strings.Contains(err.Error(), password) {
			t.Fatalf("error shows the password: %v", err)
		}
		if want := passwordOK(password, username); (err == nil) != want {
			t.Fatalf("CheckPassword(%q, %q) = %v, oracle says ok=%v", password, username, err, want)
		}
	})
}

// passwordOK is an independent statement of the rules.
func passwordOK(p, user string) bool {
	n := utf8.RuneCountInString(p)
	if n < 8 || n > 26 {
		return false
	}
	classes := map[int]bool{}
	for _, r := range p {
		switch {
		case 'A' <= r && r <= 'Z':
			classes[0] = true
		case 'a' <= r && r <= 'z':
			classes[1] = true
		case '0' <= r && r <= '9':
			classes[2] = true
		case strings.ContainsRune("!@$%^-_=+[{}]:,./?", r):
			classes[3] = true
		default:
			return false
		}
	}
	if len(classes) < 3 {
		return false
	}
	if user != "" {
		lp, lu := strings.ToLower(p), strings.ToLower(user)
		rev := []rune(lu)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		if strings.Contains(lp, lu) || strings.Contains(lp, string(rev)) {
			return false
		}
	}
	return true
}

func ExampleCheckPassword() {
	check := func(p string) {
		err := provisioning.CheckPassword("password", provisioning.NewSecret(p), provisioning.NewSecret(p), "root")
		fmt.Println(err)
	}
	check("Kg-Pass-2024")
	check("kgpass2024")
	check("Xtoor-2024")
	// Output:
	// <nil>
	// provisioning: invalid password: must contain at least three of upper-case letters, lower-case letters, digits and !@$%^-_=+[{}]:,./?; has 2
	// provisioning: invalid password: must not contain the username or the username reversed
}
