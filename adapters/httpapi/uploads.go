package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// DefaultUploadTTL is how long an upload may wait to be cited by an action
// of its flow. An upload nobody cited by then can no longer be cited, and
// SweepUploads deletes it.
const DefaultUploadTTL = 24 * time.Hour

// sweepMargin separates the last moment an upload may be cited from the
// first moment the sweep may delete it, so that an action that checked an
// upload just before its TTL ran out commits its record long before the
// sweep looks at the flow.
const sweepMargin = time.Hour

// Upload is the server's record of one attachment upload: which flow it was
// uploaded for, by whom, and the size and digest the server computed while
// storing it. Flow records take an attachment's metadata from here, never
// from the client, and a download needs the upload to belong to the flow.
type Upload struct {
	Key          string           `json:"key"`     // the blob's key
	FlowID       string           `json:"flow_id"` // the flow it was uploaded for
	UploaderRole marketplace.Role `json:"uploader_role"`
	UploaderID   string           `json:"uploader_id"`
	Name         string           `json:"name"`
	ContentType  string           `json:"content_type,omitempty"`
	Size         int64            `json:"size"`
	Digest       string           `json:"digest"` // "sha256:…", computed by the server
	UploadedAt   time.Time        `json:"uploaded_at"`
	// Cited is set by SweepUploads once it has seen a record of the flow
	// cite the upload, so that later sweeps need not look again (records
	// are never removed, so a citation is for good).
	Cited bool `json:"cited,omitempty"`
}

// by reports whether a uploaded it.
func (u Upload) by(a marketplace.Actor) bool {
	return u.UploaderRole == a.Role && u.UploaderID == a.ID
}

// attachment is the metadata a flow record keeps for the upload.
func (u Upload) attachment() supervision.Attachment {
	return supervision.Attachment{Name: u.Name, Size: u.Size, ContentType: u.ContentType, Digest: u.Digest, BlobRef: u.Key}
}

// UploadIndex is the capability a BlobStore needs for attachments: it keeps
// the server's record of each upload beside the bytes. FileBlobs implements
// it with a sidecar file per blob. The handler finds it by type assertion;
// with a BlobStore that lacks it, uploads answer 503 and actions citing
// attachments are refused (400), because nothing could vouch for them;
// attachments flows cited before (when the adapter kept no records) are
// still served to the parties of the flows that cite them.
//
// Delete on the BlobStore must remove the record too.
type UploadIndex interface {
	// SaveUpload records u for the blob stored under u.Key, replacing any
	// earlier record.
	//
	// Errors: ErrBlobNotFound when no blob is stored under u.Key; a storage
	// fault.
	SaveUpload(ctx context.Context, u Upload) error
	// LoadUpload returns the record of the blob stored under key.
	//
	// Errors: ErrBlobNotFound when there is no such blob or it has no
	// record; a storage fault.
	LoadUpload(ctx context.Context, key string) (Upload, error)
	// Uploads returns every record, in no particular order, and a record
	// with only Key and UploadedAt for each blob whose upload never got as
	// far as SaveUpload (a crash between storing the bytes and recording
	// them), so that the sweep deletes it.
	//
	// Errors: a storage fault, possibly beside the records it could read.
	Uploads(ctx context.Context) ([]Upload, error)
}

// ErrInvalidAttachment is wrapped by *AttachmentError.
var ErrInvalidAttachment = errors.New("httpapi: invalid attachment")

// AttachmentError is an attachment an action cites that the server refuses:
// its blob_ref is not an upload the acting party made for this flow (an
// unknown key, another flow's upload, the other party's upload, or an
// upload left uncited past the upload TTL: all read the same), or a member
// the client sent disagrees with the upload's record. It wraps
// ErrInvalidAttachment, answered 400 invalid_input with Field.
type AttachmentError struct {
	Index  int    // position in the action's "attachments"
	Field  string // "attachments.blob_ref", "attachments.size", …
	Reason string
}

func (e *AttachmentError) Error() string {
	return fmt.Sprintf("httpapi: attachments[%d]: invalid %s: %s", e.Index, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidAttachment.
func (e *AttachmentError) Unwrap() error { return ErrInvalidAttachment }

// uploadConfig is the Handler's configuration of upload records.
type uploadConfig struct {
	clock marketplace.Clock // nil: real time
	ttl   time.Duration     // 0: DefaultUploadTTL
}

// WithClock sets the clock uploads are dated by and the sweep measures
// their age with (default: real time). Pass the marketplace's clock, so
// that a simulated clock moves both.
func WithClock(c marketplace.Clock) Option { return func(h *Handler) { h.up.clock = c } }

// WithUploadTTL sets how long an upload may wait to be cited (default
// DefaultUploadTTL).
func WithUploadTTL(d time.Duration) Option {
	return func(h *Handler) {
		if d > 0 {
			h.up.ttl = d
		}
	}
}

func (h *Handler) now() time.Time {
	if h.up.clock != nil {
		return h.up.clock.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) ttl() time.Duration {
	if h.up.ttl > 0 {
		return h.up.ttl
	}
	return DefaultUploadTTL
}

// uploads returns the blob store's upload index, or a 503 when attachments
// are not configured or the store cannot record uploads.
func (h *Handler) uploads() (UploadIndex, error) {
	if idx, ok := h.blobs.(UploadIndex); ok {
		return idx, nil
	}
	return nil, &requestError{status: http.StatusServiceUnavailable, code: CodeDependencyUnavailable, detail: "attachments are not configured"}
}

// citeAttachments checks each attachment an action cites against the
// record of its upload and returns the record's metadata to store: only an
// upload the actor made for this flow may be cited, within the upload TTL
// or, after it, if the flow already cites it. Members other than blob_ref
// may be left out; when sent they must equal the record's.
//
// Errors: *AttachmentError; GetFlow's; a storage fault.
func (h *Handler) citeAttachments(ctx context.Context, a marketplace.Actor, flowID string, cited []supervision.Attachment) ([]supervision.Attachment, error) {
	if len(cited) == 0 {
		return cited, nil
	}
	if len(cited) > supervision.MaxAttachments {
		// Checked here too, so that a long list costs no lookups.
		return nil, &AttachmentError{Index: supervision.MaxAttachments, Field: "attachments", Reason: "at most 10 attachments"}
	}
	// Without an index no upload exists, so every citation is refused.
	idx, _ := h.blobs.(UploadIndex)
	var flow *marketplace.FlowView // read only when an old upload needs it
	out := make([]supervision.Attachment, len(cited))
	for i, c := range cited {
		notYours := &AttachmentError{Index: i, Field: "attachments.blob_ref",
			Reason: "not an upload of yours for this flow, or left uncited too long: upload the file again"}
		if idx == nil {
			return nil, notYours
		}
		u, err := idx.LoadUpload(ctx, c.BlobRef)
		if errors.Is(err, ErrBlobNotFound) {
			return nil, notYours
		}
		if err != nil {
			return nil, err
		}
		if u.FlowID != flowID || !u.by(a) {
			return nil, notYours
		}
		if !u.Cited && h.now().Sub(u.UploadedAt) > h.ttl() {
			// Past the TTL the sweep may delete an uncited upload; only one
			// the flow already cites (and so the sweep keeps) may be cited.
			if flow == nil {
				v, err := h.svc.GetFlow(ctx, a, flowID)
				if err != nil {
					return nil, err
				}
				flow = &v
			}
			if citation(flow.Records, u.Key) == nil {
				return nil, notYours
			}
		}
		att := u.attachment()
		for _, m := range []struct {
			field     string
			sent, rec any
			omitted   bool
		}{
			{"attachments.name", c.Name, att.Name, c.Name == ""},
			{"attachments.size", c.Size, att.Size, c.Size == 0},
			{"attachments.content_type", c.ContentType, att.ContentType, c.ContentType == ""},
			{"attachments.digest", c.Digest, att.Digest, c.Digest == ""},
		} {
			if !m.omitted && m.sent != m.rec {
				return nil, &AttachmentError{Index: i, Field: m.field,
					Reason: fmt.Sprintf("%v differs from the upload's %v; leave it out or send the upload's", m.sent, m.rec)}
			}
		}
		out[i] = att
	}
	return out, nil
}

// citation returns the attachment of records that cites key, or nil.
func citation(records []supervision.Record, key string) *supervision.Attachment {
	for _, rec := range records {
		for i := range rec.Attachments {
			if rec.Attachments[i].BlobRef == key {
				return &rec.Attachments[i]
			}
		}
	}
	return nil
}

// SweepUploads deletes the uploads nobody cited in time: each upload older
// than the upload TTL plus an hour's margin that no record of its flow
// cites. It bounds what uploads that are never cited can cost the disk.
// The host runs it now and then (the portal runs it with its due-work
// runner); it is safe to run from several processes at once. An upload the
// sweep finds cited is marked so that later sweeps skip it. It returns how
// many uploads it deleted.
//
// Errors: the index's or the store's faults, joined; the sweep goes on past
// a failed upload and reports it at the end. Nothing when attachments are
// not configured.
func (h *Handler) SweepUploads(ctx context.Context) (int, error) {
	idx, ok := h.blobs.(UploadIndex)
	if !ok {
		return 0, nil
	}
	ups, err := idx.Uploads(ctx)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	cutoff := h.now().Add(-h.ttl() - sweepMargin)
	flows := map[string]*marketplace.FlowView{} // nil: the flow is gone
	var n int
	for _, u := range ups {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if u.Cited || !u.UploadedAt.Before(cutoff) {
			continue
		}
		var cited bool
		if u.FlowID != "" {
			v, seen := flows[u.FlowID]
			if !seen {
				got, err := h.svc.GetFlow(ctx, marketplace.SystemActor(), u.FlowID)
				switch {
				case errors.Is(err, marketplace.ErrNotFound):
				case err != nil:
					errs = append(errs, fmt.Errorf("upload %s: %w", u.Key, err))
					continue
				default:
					v = &got
				}
				flows[u.FlowID] = v
			}
			cited = v != nil && citation(v.Records, u.Key) != nil
		}
		if cited {
			u.Cited = true
			if err := idx.SaveUpload(ctx, u); err != nil && !errors.Is(err, ErrBlobNotFound) {
				errs = append(errs, fmt.Errorf("upload %s: %w", u.Key, err))
			}
			continue
		}
		if err := h.blobs.Delete(ctx, u.Key); err != nil {
			errs = append(errs, fmt.Errorf("upload %s: %w", u.Key, err))
			continue
		}
		n++
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("httpapi: sweep uploads: %w", errors.Join(errs...))
	}
	return n, nil
}
