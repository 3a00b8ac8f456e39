package supervision_test

import (
	"errors"
	"strings"
	"testing"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestParse(t *testing.T) {
	for _, s := range sv.Statuses() {
		if got, err := sv.ParseStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseStatus(%s) = %s, %v", s, got, err)
		}
	}
	for _, a := range sv.Actions() {
		if got, err := sv.ParseAction(string(a)); err != nil || got != a {
			t.Errorf("ParseAction(%s) = %s, %v", a, got, err)
		}
	}
	for _, r := range sv.Roles() {
		if got, err := sv.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %s, %v", r, got, err)
		}
	}
	for _, tp := range sv.Templates() {
		if got, err := sv.ParseKind(string(tp.Kind())); err != nil || got != tp.Kind() {
			t.Errorf("ParseKind(%s) = %s, %v", tp.Kind(), got, err)
		}
	}
	for name, parse := range map[string]func(string) error{
		"status": func(s string) error { _, err := sv.ParseStatus(s); return err },
		"action": func(s string) error { _, err := sv.ParseAction(s); return err },
		"role":   func(s string) error { _, err := sv.ParseRole(s); return err },
		"kind":   func(s string) error { _, err := sv.ParseKind(s); return err },
	} {
		for _, in := range []string{"", "Completed", strings.Repeat("状", 100)} {
			if err := parse(in); !errors.Is(err, sv.ErrInvalidInput) {
				t.Errorf("parse %s %q: err = %v", name, in, err)
			}
		}
	}
}
