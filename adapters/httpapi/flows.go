package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

func (h *Handler) registerFlows() {
	h.handle("GET /v1/flows", h.listFlows)
	h.handle("GET /v1/flows/{id}", h.getFlow)
	h.handle("GET /v1/flows/{id}/records", h.flowRecords)
	h.handle("GET /v1/flows/{id}/actions", h.flowActions)
	h.handle("POST /v1/flows/{id}/actions/{action}", h.act)
	h.handle("POST /v1/flows/{id}/attachments", h.uploadAttachment)
	h.handle("GET /v1/flows/{id}/attachments/{key}", h.downloadAttachment)
}

// flowStatuses lists the status codes GET /v1/flows filters by.
var flowStatuses = func() string {
	var codes []string
	for _, st := range supervision.Statuses() {
		codes = append(codes, string(st))
	}
	return strings.Join(codes, ", ")
}()

func (h *Handler) listFlows(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if st := q.Get("status"); st != "" {
		if _, err := supervision.ParseStatus(st); err != nil {
			return badParam("status", "status must be one of "+flowStatuses)
		}
	}
	page, err := h.svc.ListFlows(r.Context(), a, marketplace.ListFlowsInput{Status: q.Get("status"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) flowView(r *http.Request, a marketplace.Actor) (marketplace.FlowView, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return marketplace.FlowView{}, err
	}
	return h.svc.GetFlow(r.Context(), a, id)
}

// getFlow: the flow with the caller's available actions and, for SaaS, the
// delivered app info (password masked).
func (h *Handler) getFlow(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	v, err := h.flowView(r, a)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, v.Version, v)
	return nil
}

// flowRecords: the operation records, oldest first.
func (h *Handler) flowRecords(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	v, err := h.flowView(r, a)
	if err != nil {
		return err
	}
	recs := v.Records
	if recs == nil {
		recs = []supervision.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": recs})
	return nil
}

// flowActions: the actions the caller may take now.
func (h *Handler) flowActions(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	v, err := h.flowView(r, a)
	if err != nil {
		return err
	}
	av := v.Available
	if av == nil {
		av = []supervision.Action{}
	}
	writeVersioned(w, http.StatusOK, v.Version, map[string]any{"flow_id": v.ID, "status": v.Status, "label": v.Label, "available": av})
	return nil
}

// actionBody carries an action's inputs; which ones apply depends on the
// action (see supervision.Command).
type actionBody struct {
	Reason       string                   `json:"reason,omitempty"`
	Description  string                   `json:"description,omitempty"`
	Result       string                   `json:"result,omitempty"`
	Attachments  []supervision.Attachment `json:"attachments,omitempty"`
	EnablingTime *time.Time               `json:"enabling_time,omitempty"`
	ResumeStatus supervision.Status       `json:"resume_status,omitempty"`
	Refund       bool                     `json:"refund,omitempty"`
}

// act: POST /v1/flows/{id}/actions/{action}. With If-Match, the action is
// refused (412) unless the flow is still at that version; the check is made
// inside the domain's transaction, so it cannot race another change. Each
// cited attachment must be an upload the actor made for this flow (see
// citeAttachments): otherwise *AttachmentError (400), and nothing is
// written.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	action, err := supervision.ParseAction(r.PathValue("action"))
	if err != nil {
		return badParam("action", "unknown supervision action")
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b actionBody
	if hasBody(r) {
		if err := h.decodeJSON(w, r, &b); err != nil {
			return err
		}
	}
	// The record keeps the server's metadata of each cited upload, never
	// the client's.
	atts, err := h.citeAttachments(r.Context(), a, id, b.Attachments)
	if err != nil {
		return err
	}
	f, err := h.svc.Act(r.Context(), a, marketplace.FlowActionInput{FlowID: id, Action: action, Reason: b.Reason,
		Description: b.Description, Result: b.Result, Attachments: atts, EnablingTime: b.EnablingTime,
		ResumeStatus: b.ResumeStatus, Refund: b.Refund, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, f.Version, f)
	return nil
}

// uploadAttachment: POST /v1/flows/{id}/attachments, multipart/form-data
// with one file part ("file"). The file is streamed to the blob store,
// counted and hashed on the way, and refused once it passes 50 MB; the
// server records the upload (flow, uploader, size, digest: Upload) and
// answers the attachment to cite in an action's "attachments" within the
// upload TTL. Uploads left uncited are deleted by SweepUploads.
func (h *Handler) uploadAttachment(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return &requestError{status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMedia, detail: "the body must be multipart/form-data"}
	}
	// Only a party of the flow may upload to it.
	if _, err := h.svc.GetFlow(r.Context(), a, id); err != nil {
		return err
	}
	idx, err := h.uploads()
	if err != nil {
		return err
	}
	// The whole body: the file plus the multipart framing.
	r.Body = http.MaxBytesReader(w, r.Body, MaxAttachmentBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest(CodeMalformedJSON, "", "malformed multipart body")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return badRequest(CodeInvalidInput, "file", "a file part named \"file\" is required")
		}
		if err != nil {
			return multipartError(err)
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		name := part.FileName()
		ct := part.Header.Get("Content-Type")
		// Check the name and type before storing anything.
		probe := supervision.Attachment{Name: name, Size: 1, ContentType: ct, BlobRef: "pending"}
		if err := probe.Validate(); err != nil {
			return err
		}
		ld := newLimitedDigest(part, MaxAttachmentBytes)
		key, err := h.blobs.Put(r.Context(), ld)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return &requestError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge, field: "file",
					detail: "the attachment exceeds 52,428,800 bytes (50 MB)"}
			}
			return multipartError(err)
		}
		att := supervision.Attachment{Name: name, Size: ld.n, ContentType: ct, Digest: "sha256:" + ld.sum(), BlobRef: key}
		if err := att.Validate(); err != nil {
			_ = h.blobs.Delete(r.Context(), key)
			return err
		}
		up := Upload{Key: key, FlowID: id, UploaderRole: a.Role, UploaderID: a.ID, Name: att.Name,
			ContentType: att.ContentType, Size: att.Size, Digest: att.Digest, UploadedAt: h.now()}
		if err := idx.SaveUpload(r.Context(), up); err != nil {
			_ = h.blobs.Delete(r.Context(), key)
			return err
		}
		writeJSON(w, http.StatusCreated, att)
		return nil
	}
}

// multipartError classifies a failure reading a multipart body.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &requestError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge, detail: "the body exceeds the upload limit"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart") {
		return badRequest(CodeMalformedJSON, "", "malformed multipart body")
	}
	return err
}

// downloadAttachment: GET /v1/flows/{id}/attachments/{key} — a file
// uploaded for the flow and cited by one of its records, to the flow's
// parties. A key cited by this flow but uploaded for another is not found:
// a citation alone proves nothing. A key with no upload record at all (or
// in a BlobStore without an UploadIndex) is served when the flow cites it:
// a citation recorded before uploads were (actions cannot cite a key
// without its record now).
func (h *Handler) downloadAttachment(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	v, err := h.flowView(r, a)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	notFound := &marketplace.NotFoundError{Kind: "attachment", ID: key}
	cited := citation(v.Records, key)
	if cited == nil {
		return notFound
	}
	name := cited.Name
	// A blob cited before uploads were recorded (no record was written for
	// it), or kept by a BlobStore without an UploadIndex: the citation
	// itself vouches for it, as it did then. No action can cite a blob
	// without a record of this flow now (without an index, none can cite
	// any), so only such earlier citations are served this way.
	if idx, ok := h.blobs.(UploadIndex); ok {
		up, err := idx.LoadUpload(r.Context(), key)
		switch {
		case errors.Is(err, ErrBlobNotFound):
		case err != nil:
			return err
		case up.FlowID != v.ID:
			return notFound
		default:
			name = up.Name
		}
	}
	rc, err := h.blobs.Open(r.Context(), key)
	if errors.Is(err, ErrBlobNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
	return nil
}
