package supervision_test

import (
	"strings"
	"testing"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestAttachmentValidate(t *testing.T) {
	ok := sv.Attachment{Name: "a.pdf", Size: 1, BlobRef: "blob/1"}
	with := func(f func(*sv.Attachment)) sv.Attachment { a := ok; f(&a); return a }
	tests := []struct {
		name  string
		a     sv.Attachment
		field string // "" when valid
	}{
		{"minimal", ok, ""},
		{"exactly 50 MB", with(func(a *sv.Attachment) { a.Size = 52428800 }), ""},
		{"50 MB + 1 byte", with(func(a *sv.Attachment) { a.Size = 52428801 }), "attachments.size"},
		{"empty file", with(func(a *sv.Attachment) { a.Size = 0 }), "attachments.size"},
		{"negative size", with(func(a *sv.Attachment) { a.Size = -1 }), "attachments.size"},
		{"upper-case extension", with(func(a *sv.Attachment) { a.Name = "SPEC.DOCX" }), ""},
		{"mixed-case extension", with(func(a *sv.Attachment) { a.Name = "photo.JpEg" }), ""},
		{"every allowed extension is checked below", ok, ""},
		{"exe", with(func(a *sv.Attachment) { a.Name = "setup.exe" }), "attachments.name"},
		{"double extension", with(func(a *sv.Attachment) { a.Name = "a.pdf.exe" }), "attachments.name"},
		{"no dot", with(func(a *sv.Attachment) { a.Name = "pdf" }), "attachments.name"},
		{"7z", with(func(a *sv.Attachment) { a.Name = "a.7z" }), "attachments.name"},
		{"blank name", with(func(a *sv.Attachment) { a.Name = " " }), "attachments.name"},
		{"256-character name", with(func(a *sv.Attachment) { a.Name = strings.Repeat("n", 252) + ".pdf" }), "attachments.name"},
		{"255-character name", with(func(a *sv.Attachment) { a.Name = strings.Repeat("n", 251) + ".pdf" }), ""},
		{"no blob", with(func(a *sv.Attachment) { a.BlobRef = "" }), "attachments.blob_ref"},
		{"huge digest", with(func(a *sv.Attachment) { a.Digest = strings.Repeat("d", 256) }), "attachments.content_type/digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInputError(t, tt.a.Validate(), tt.field)
		})
	}
	for _, ext := range []string{"bmp", "jpg", "jpeg", "png", "gif", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "rar", "zip"} {
		for _, name := range []string{"f." + ext, "F." + strings.ToUpper(ext)} {
			if err := with(func(a *sv.Attachment) { a.Name = name }).Validate(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if got := len(sv.AllowedExtensions()); got != 14 {
		t.Errorf("AllowedExtensions has %d entries, want 14", got)
	}
}

func TestAttachmentsOnCommands(t *testing.T) {
	big := pdf
	big.Size = sv.MaxAttachmentSize + 1
	many := make([]sv.Attachment, sv.MaxAttachments+1)
	for i := range many {
		many[i] = pdf
	}
	tests := []struct {
		name string
		c    sv.Command
		ok   bool
	}{
		{"request with 50 MB + 1", func() sv.Command {
			c := validCommand(sv.SubmitRequest, sv.Buyer)
			c.Attachments = []sv.Attachment{big}
			return c
		}(), false},
		{"11 attachments", func() sv.Command {
			c := validCommand(sv.Deliver, sv.Seller)
			c.Attachments = many
			return c
		}(), false},
		{"10 attachments", func() sv.Command {
			c := validCommand(sv.Deliver, sv.Seller)
			c.Attachments = many[:10]
			return c
		}(), true},
		{"reminder takes none", func() sv.Command {
			c := validCommand(sv.Remind, sv.Buyer)
			c.Attachments = []sv.Attachment{pdf}
			return c
		}(), false},
		{"appeal evidence", func() sv.Command {
			c := validCommand(sv.Appeal, sv.Buyer)
			c.Attachments = []sv.Attachment{pdf}
			return c
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%t", err, tt.ok)
			}
		})
	}
}
