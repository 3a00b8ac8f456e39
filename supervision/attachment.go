package supervision

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Attachment limits (seed 4.2/4.3 request form).
const (
	// MaxAttachmentSize is the largest attachment, 50.0 MB in bytes.
	MaxAttachmentSize int64 = 50 << 20 // 52,428,800
	// MaxAttachments bounds the attachments of one action. The seed does not
	// give a count; the bound keeps a record from growing without limit.
	MaxAttachments = 10
	// MaxAttachmentName bounds an attachment's file name, in characters.
	MaxAttachmentName = 255
	// MaxBlobRef bounds an attachment's blob reference, in bytes.
	MaxBlobRef = 1024
)

// allowedExtensions are the formats the request form accepts, lower-case.
var allowedExtensions = []string{
	".bmp", ".jpg", ".jpeg", ".png", ".gif", ".doc", ".docx", ".xls", ".xlsx",
	".ppt", ".pptx", ".pdf", ".rar", ".zip",
}

// AllowedExtensions returns the accepted file extensions (lower-case, with
// the dot). Matching is case-insensitive.
func AllowedExtensions() []string { return append([]string(nil), allowedExtensions...) }

// Attachment is the metadata of an uploaded file. The bytes live in the
// host's blob store; flows keep only this.
type Attachment struct {
	Name        string `json:"name"`                   // file name as uploaded, e.g. "requirements.DOCX"
	Size        int64  `json:"size"`                   // bytes, 1..MaxAttachmentSize
	ContentType string `json:"content_type,omitempty"` // as declared by the uploader; informational
	Digest      string `json:"digest,omitempty"`       // e.g. "sha256:…"; informational
	BlobRef     string `json:"blob_ref"`               // where the host stored the bytes
}

// Validate checks the name, extension, size and blob reference.
//
// Errors: *InputError (ErrInvalidInput) naming the offending field.
func (a Attachment) Validate() error {
	n := utf8.RuneCountInString(a.Name)
	switch {
	case strings.TrimSpace(a.Name) == "":
		return &InputError{Field: "attachments.name", Value: a.Name, Reason: "required"}
	case !utf8.ValidString(a.Name) || n > MaxAttachmentName:
		return &InputError{Field: "attachments.name", Value: quoteShort(a.Name), Reason: "must be valid UTF-8 of at most 255 characters"}
	case !allowedExtension(a.Name):
		return &InputError{Field: "attachments.name", Value: quoteShort(a.Name),
			Reason: "extension must be one of BMP, JPG, JPEG, PNG, GIF, DOC, DOCX, XLS, XLSX, PPT, PPTX, PDF, RAR, ZIP"}
	case a.Size <= 0 || a.Size > MaxAttachmentSize:
		return &InputError{Field: "attachments.size", Value: a.Size, Reason: "must be 1 to 52428800 bytes (50 MB)"}
	case strings.TrimSpace(a.BlobRef) == "" || len(a.BlobRef) > MaxBlobRef:
		return &InputError{Field: "attachments.blob_ref", Value: quoteShort(a.BlobRef), Reason: "required, at most 1024 bytes"}
	case len(a.ContentType) > 255 || len(a.Digest) > 255:
		return &InputError{Field: "attachments.content_type/digest", Value: len(a.ContentType) + len(a.Digest), Reason: "at most 255 bytes each"}
	}
	return nil
}

func allowedExtension(name string) bool {
	ext := path.Ext(name)
	for _, e := range allowedExtensions {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

func validateAttachments(as []Attachment) error {
	if len(as) > MaxAttachments {
		return &InputError{Field: "attachments", Value: len(as), Reason: "at most 10 attachments"}
	}
	for _, a := range as {
		if err := a.Validate(); err != nil {
			return err
		}
	}
	return nil
}
