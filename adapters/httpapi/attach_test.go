package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// twoFlows is buyer-1's and buyer-2's service flows with seller-1.
func twoFlows(t *testing.T) (e *env, mine, theirs string) {
	e = newEnv(t, stores(t)["memory"](t))
	e.registerSellers()
	product := e.listProduct(tokSeller, serviceProduct2())
	e.fund("buyer-1", "5000.00")
	e.fund("buyer-2", "5000.00")
	o1 := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
	o2 := e.buy(tokBuyer2, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
	var other marketplace.Order
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o2.ID, tokBuyer2, nil).JSON(t, &other)
	return e, e.flowOf(o1.ID).ID, other.FlowID
}

// problemOf is the status, code and field of an answer.
type problemOf struct {
	Status int
	Code   string
	Field  string
}

func (e *env) problem(r interface {
	JSON(testing.TB, any)
}, status int) problemOf {
	var p struct{ Code, Field string }
	r.JSON(e.T, &p)
	return problemOf{status, p.Code, p.Field}
}

// TestAttachmentCitationScope: an action may cite only what its actor
// uploaded for that same flow, and a download needs both the flow's
// citation and the flow's upload. On the code before the fix, buyer-2
// could cite buyer-1's blob key in their own flow and download it there.
func TestAttachmentCitationScope(t *testing.T) {
	e, mine, theirs := twoFlows(t)
	secret := []byte("buyer-1's confidential requirements")
	att := e.upload(mine, tokBuyer, "requirements.pdf", secret)
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/submit_request", tokBuyer,
		map[string]any{"description": "Migrate our ERP", "attachments": []any{att}})
	key := att["blob_ref"].(string)
	draft := e.upload(mine, tokBuyer, "draft.pdf", []byte("not submitted"))

	cases := []struct {
		name         string
		flow, action string
		token        string
		cite         map[string]any
	}{
		{"another flow's cited upload", theirs, "submit_request", tokBuyer2, att},
		{"another party's uncited upload", mine, "deliver", tokSeller, draft},
		{"a blob ref nobody uploaded", theirs, "submit_request", tokBuyer2,
			map[string]any{"name": "x.pdf", "size": 10, "blob_ref": "00000000000000000000000000000000"}},
		{"a blob ref that is not a key", theirs, "submit_request", tokBuyer2,
			map[string]any{"name": "x.pdf", "size": 10, "blob_ref": "blob://elsewhere"}},
	}
	if e.Do("POST", "/v1/flows/"+mine+"/actions/confirm_request", tokSeller, nil).Status != http.StatusOK {
		t.Fatal("confirm_request failed")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"attachments": []any{tc.cite}}
			if tc.action == "deliver" {
				body["result"] = "done"
			} else {
				body["description"] = "d"
			}
			r := e.Do("POST", "/v1/flows/"+tc.flow+"/actions/"+tc.action, tc.token, body)
			want := problemOf{http.StatusBadRequest, "invalid_input", "attachments.blob_ref"}
			if diff := cmp.Diff(want, e.problem(r, r.Status)); diff != "" {
				t.Errorf("cite (-want +got):\n%s\n%s", diff, r.Body)
			}
		})
	}
	// Whatever was or was not recorded, buyer-2 cannot read buyer-1's file
	// through their own flow.
	if r := e.Do("GET", "/v1/flows/"+theirs+"/attachments/"+key, tokBuyer2, nil); r.Status != http.StatusNotFound {
		t.Errorf("download through another flow: %d %d bytes", r.Status, len(r.Body))
	}
	if r := e.Do("GET", "/v1/flows/"+mine+"/attachments/"+draft["blob_ref"].(string), tokSeller, nil); r.Status != http.StatusNotFound {
		t.Errorf("download of an uncited upload: %d", r.Status)
	}
	got := e.Must(http.StatusOK, "GET", "/v1/flows/"+mine+"/attachments/"+key, tokSeller, nil)
	if !bytes.Equal(got.Body, secret) {
		t.Errorf("the party's own download: %q", got.Body)
	}
}

// TestAttachmentMetadataFromUpload: size, digest, name and content type in
// a flow record are the server's, never the client's. On the code before
// the fix, a forged size and digest were recorded as evidence.
func TestAttachmentMetadataFromUpload(t *testing.T) {
	e, mine, _ := twoFlows(t)
	data := bytes.Repeat([]byte("evidence "), 100)
	sum := sha256.Sum256(data)
	att := e.upload(mine, tokBuyer, "evidence.pdf", data)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range att {
			m[k] = v
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name  string
		cite  map[string]any
		field string
	}{
		{"forged size", with("size", 52428800), "attachments.size"},
		{"forged digest", with("digest", "sha256:"+hex.EncodeToString(make([]byte, 32))), "attachments.digest"},
		{"renamed", with("name", "other.pdf"), "attachments.name"},
		{"retyped", with("content_type", "application/pdf"), "attachments.content_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do("POST", "/v1/flows/"+mine+"/actions/submit_request", tokBuyer,
				map[string]any{"description": "d", "attachments": []any{tc.cite}})
			want := problemOf{http.StatusBadRequest, "invalid_input", tc.field}
			if diff := cmp.Diff(want, e.problem(r, r.Status)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, r.Body)
			}
		})
	}
	// The blob ref alone is enough: the record gets the upload's metadata.
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/submit_request", tokBuyer,
		map[string]any{"description": "d", "attachments": []any{map[string]any{"blob_ref": att["blob_ref"]}}})
	var v marketplace.FlowView
	e.Must(http.StatusOK, "GET", "/v1/flows/"+mine, tokBuyer, nil).JSON(t, &v)
	rec := v.Records[len(v.Records)-1]
	if len(rec.Attachments) != 1 {
		t.Fatalf("record attachments = %v", rec.Attachments)
	}
	a := rec.Attachments[0]
	got := map[string]any{"name": a.Name, "size": a.Size, "digest": a.Digest, "content_type": a.ContentType}
	want := map[string]any{"name": "evidence.pdf", "size": int64(len(data)), "digest": "sha256:" + hex.EncodeToString(sum[:]),
		"content_type": att["content_type"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded attachment (-want +got):\n%s", diff)
	}
}

// blobFiles is the blob directory's files, sorted.
func (e *env) blobFiles() []string {
	e.T.Helper()
	entries, err := os.ReadDir(e.blobDir)
	if err != nil {
		e.T.Fatal(err)
	}
	var names []string
	for _, d := range entries {
		names = append(names, d.Name())
	}
	return names
}

// TestUploadSweep: uploads nobody cites within the upload TTL can no longer
// be cited and are deleted by SweepUploads; cited ones stay. On the code
// before the fix, uncited uploads stayed on disk for good.
func TestUploadSweep(t *testing.T) {
	e, mine, theirs := twoFlows(t)
	kept := e.upload(mine, tokBuyer, "kept.pdf", []byte("cited"))
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/submit_request", tokBuyer,
		map[string]any{"description": "d", "attachments": []any{kept}})
	stale := e.upload(mine, tokBuyer, "stale.pdf", []byte("never cited"))
	e.upload(theirs, tokBuyer2, "other.pdf", []byte("never cited either"))

	// Within the TTL nothing is swept.
	e.clock.Advance(httpapi.DefaultUploadTTL)
	if n, err := e.api.SweepUploads(context.Background()); n != 0 || err != nil {
		t.Fatalf("sweep within the TTL: %d, %v", n, err)
	}
	// Past the TTL an uncited upload can no longer be cited…
	e.clock.Advance(time.Minute)
	r := e.Do("POST", "/v1/flows/"+theirs+"/actions/submit_request", tokBuyer2,
		map[string]any{"description": "d", "attachments": []any{map[string]any{"blob_ref": stale["blob_ref"]}}})
	if diff := cmp.Diff(problemOf{400, "invalid_input", "attachments.blob_ref"}, e.problem(r, r.Status)); diff != "" {
		t.Errorf("citing an expired upload (-want +got):\n%s", diff)
	}
	// A blob whose upload was never recorded (a crash between the two) is
	// swept too, dated by its pending mark.
	orphan := filepath.Join(e.blobDir, "0123456789abcdef0123456789abcdef")
	for _, name := range []string{orphan, orphan + ".pending"} {
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := start.Add(-48 * time.Hour)
		if err := os.Chtimes(name, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// …and after the margin the sweep deletes them; the cited one stays.
	e.clock.Advance(time.Hour)
	n, err := e.api.SweepUploads(context.Background())
	if n != 3 || err != nil {
		t.Fatalf("sweep: %d, %v; want 3, nil", n, err)
	}
	key := kept["blob_ref"].(string)
	if diff := cmp.Diff([]string{key, key + ".upload"}, e.blobFiles()); diff != "" {
		t.Errorf("blob dir after the sweep (-want +got):\n%s", diff)
	}
	if got := e.Must(http.StatusOK, "GET", "/v1/flows/"+mine+"/attachments/"+key, tokSeller, nil); string(got.Body) != "cited" {
		t.Errorf("cited download after the sweep: %q", got.Body)
	}
	// A second sweep finds nothing to delete.
	if n, err := e.api.SweepUploads(context.Background()); n != 0 || err != nil {
		t.Errorf("second sweep: %d, %v", n, err)
	}
	// Past the TTL its uploader may still cite an upload the flow already
	// cites, as evidence of a later step.
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/confirm_request", tokSeller, nil)
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/deliver", tokSeller, map[string]any{"result": "done"})
	e.Must(http.StatusOK, "POST", "/v1/flows/"+mine+"/actions/reject_delivery", tokBuyer,
		map[string]any{"reason": "not what we asked for", "attachments": []any{map[string]any{"blob_ref": key}}})
}

// TestAttachmentCitedBeforeUploadRecords: a blob cited by a flow record
// written before uploads were recorded (it has no upload record) is still
// served to the parties of the flow that cites it, and to nobody through
// another flow; citing it anew is refused.
func TestAttachmentCitedBeforeUploadRecords(t *testing.T) {
	e, mine, theirs := twoFlows(t)
	const key = "0123456789abcdef0123456789abcdef"
	data := []byte("requirements written before upload records")
	if err := os.WriteFile(filepath.Join(e.blobDir, key), data, 0o640); err != nil {
		t.Fatal(err)
	}
	// The record as the adapter wrote it then: the client's metadata, no
	// upload record. The marketplace API takes it as it did.
	if _, err := e.svc.Act(context.Background(), marketplace.Actor{Role: marketplace.RoleBuyer, ID: "buyer-1"}, marketplace.FlowActionInput{
		FlowID: mine, Action: "submit_request", Description: "Migrate our ERP",
		Attachments: []supervision.Attachment{{Name: "old.pdf", Size: int64(len(data)), BlobRef: key}},
	}); err != nil {
		t.Fatal(err)
	}
	got := e.Must(http.StatusOK, "GET", "/v1/flows/"+mine+"/attachments/"+key, tokSeller, nil)
	if !bytes.Equal(got.Body, data) {
		t.Errorf("download: %q", got.Body)
	}
	if r := e.Do("GET", "/v1/flows/"+theirs+"/attachments/"+key, tokBuyer2, nil); r.Status != http.StatusNotFound {
		t.Errorf("download through another flow: %d", r.Status)
	}
	r := e.Do("POST", "/v1/flows/"+theirs+"/actions/submit_request", tokBuyer2,
		map[string]any{"description": "d", "attachments": []any{map[string]any{"name": "old.pdf", "blob_ref": key}}})
	want := problemOf{http.StatusBadRequest, "invalid_input", "attachments.blob_ref"}
	if diff := cmp.Diff(want, e.problem(r, r.Status)); diff != "" {
		t.Errorf("citing it anew (-want +got):\n%s\n%s", diff, r.Body)
	}

	// A host's BlobStore without an UploadIndex serves what flows cited
	// too (to the flow that cites it only).
	fb, err := httpapi.NewFileBlobs(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpapi.NewStaticTokens(actors)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.NewHandler(e.svc, httpapi.WithAuthenticator(auth), httpapi.WithBlobStore(plainBlobs{fb}),
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	for _, tc := range []struct {
		flow, token string
		want        int
	}{{mine, tokSeller, http.StatusOK}, {theirs, tokBuyer2, http.StatusNotFound}} {
		req := httptest.NewRequest("GET", "/v1/flows/"+tc.flow+"/attachments/"+key, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want || (tc.want == http.StatusOK && !bytes.Equal(rec.Body.Bytes(), data)) {
			t.Errorf("without an UploadIndex, %s: %d %q, want %d", tc.flow, rec.Code, rec.Body.Bytes(), tc.want)
		}
	}
}

// plainBlobs is a host's BlobStore without an UploadIndex.
type plainBlobs struct{ httpapi.BlobStore }
