package supervision_test

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	sv "github.com/opengallery/opengallery/supervision"
)

// FuzzParse checks that every parser either returns the value spelled by
// its input or an ErrInvalidInput, and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"completed", "accept", "buyer", "saas", "", "Completed", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name, got string, err error) {
			if err != nil {
				if !errors.Is(err, sv.ErrInvalidInput) {
					t.Errorf("%s(%q): err %v does not wrap ErrInvalidInput", name, s, err)
				}
				if len(err.Error()) > 300 {
					t.Errorf("%s(%q): error message of %d bytes echoes the input", name, s, len(err.Error()))
				}
				return
			}
			if got != s {
				t.Errorf("%s(%q) = %q", name, s, got)
			}
		}
		st, err := sv.ParseStatus(s)
		check("ParseStatus", string(st), err)
		a, err := sv.ParseAction(s)
		check("ParseAction", string(a), err)
		r, err := sv.ParseRole(s)
		check("ParseRole", string(r), err)
		k, err := sv.ParseKind(s)
		check("ParseKind", string(k), err)
	})
}

// FuzzSubmitRequest feeds arbitrary request texts and attachment metadata
// through Command.Validate and Apply: they agree with each other and with
// the documented limits.
func FuzzSubmitRequest(f *testing.F) {
	f.Add("Deploy for 20 seats", "req.PDF", int64(4096), "blob/1")
	f.Add(strings.Repeat("需", 1000), "a.docx", int64(52428800), "b")
	f.Add(strings.Repeat("x", 1001), "a.exe", int64(52428801), "")
	f.Add(" ", ".zip", int64(0), "b")
	f.Fuzz(func(t *testing.T, desc, name string, size int64, blob string) {
		c := sv.Command{Actor: buyer, Action: sv.SubmitRequest, Description: desc,
			Attachments: []sv.Attachment{{Name: name, Size: size, BlobRef: blob}}}
		verr := c.Validate()
		n, rec, aerr := sv.Apply(mustNew(sv.SaaS), c, t0, sv.DefaultPolicy())
		if (verr == nil) != (aerr == nil) {
			t.Fatalf("Validate %v but Apply %v", verr, aerr)
		}
		if verr != nil {
			if !errors.Is(verr, sv.ErrInvalidInput) {
				t.Fatalf("err %v does not wrap ErrInvalidInput", verr)
			}
			return
		}
		if n := utf8.RuneCountInString(desc); n < 1 || n > sv.MaxDescription || strings.TrimSpace(desc) == "" {
			t.Errorf("accepted a description of %d characters", n)
		}
		ext := strings.ToLower(path.Ext(name))
		if !strings.Contains(" .bmp .jpg .jpeg .png .gif .doc .docx .xls .xlsx .ppt .pptx .pdf .rar .zip ", " "+ext+" ") || ext == "" {
			t.Errorf("accepted extension %q", ext)
		}
		if size < 1 || size > sv.MaxAttachmentSize {
			t.Errorf("accepted size %d", size)
		}
		if n.Status != sv.AwaitingConfirmation || rec.Description != desc || n.Request.Description != desc {
			t.Errorf("accepted request not stored: %s %q", n.Status, rec.Description)
		}
	})
}
