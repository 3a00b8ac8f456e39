package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// multipartBody builds a one-file multipart body.
func multipartBody(t testing.TB, field, name string, r io.Reader) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(fw, r); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// upload posts a file to a flow and returns the attachment to cite.
func (e *env) upload(flowID, token, name string, data []byte) map[string]any {
	e.T.Helper()
	body, ct := multipartBody(e.T, "file", name, bytes.NewReader(data))
	req, _ := http.NewRequest("POST", e.Base+"/v1/flows/"+flowID+"/attachments", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		e.T.Fatalf("upload %s: %d %s", name, resp.StatusCode, raw)
	}
	var att map[string]any
	if err := json.Unmarshal(raw, &att); err != nil {
		e.T.Fatal(err)
	}
	return att
}

func TestAttachments(t *testing.T) {
	e := newEnv(t, stores(t)["memory"](t))
	e.registerSellers()
	product := e.listProduct(tokSeller, serviceProduct2())
	e.fund("buyer-1", "5000.00")
	o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
	flow := e.flowOf(o.ID)

	data := bytes.Repeat([]byte("0123456789"), 10000)
	att := e.upload(flow.ID, tokBuyer, "requirements.docx", data)
	sum := sha256.Sum256(data)
	if att["digest"] != "sha256:"+hex.EncodeToString(sum[:]) || att["size"] != float64(len(data)) {
		t.Fatalf("attachment = %v", att)
	}
	// Cite it in the request, then download it as the seller.
	e.Must(http.StatusOK, "POST", "/v1/flows/"+flow.ID+"/actions/submit_request", tokBuyer,
		map[string]any{"description": "Migrate our ERP", "attachments": []any{att}})
	got := e.Must(http.StatusOK, "GET", "/v1/flows/"+flow.ID+"/attachments/"+att["blob_ref"].(string), tokSeller, nil)
	if !bytes.Equal(got.Body, data) {
		t.Errorf("download: %d bytes, want %d", len(got.Body), len(data))
	}
	for _, tok := range []string{tokBuyer2, tokSeller2} {
		if r := e.Do("GET", "/v1/flows/"+flow.ID+"/attachments/"+att["blob_ref"].(string), tok, nil); r.Status != 404 {
			t.Errorf("download by a stranger: %s", r)
		}
	}

	post := func(token, name string, r io.Reader) (int, string) {
		body, ct := multipartBody(t, "file", name, r)
		req, _ := http.NewRequest("POST", e.Base+"/v1/flows/"+flow.ID+"/attachments", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := e.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p struct{ Code string }
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p.Code
	}
	// Exactly 50 MB is accepted; one byte more is refused while streaming.
	start := time.Now()
	if st, code := post(tokBuyer, "big.pdf", io.LimitReader(zeros{}, 52_428_800)); st != 201 {
		t.Errorf("50 MB upload: %d %s", st, code)
	}
	if st, code := post(tokBuyer, "big.pdf", io.LimitReader(zeros{}, 52_428_801)); st != 413 || code != "body_too_large" {
		t.Errorf("50 MB + 1 upload: %d %s", st, code)
	}
	t.Logf("two 50 MB uploads in %s", time.Since(start))
	if st, code := post(tokBuyer, "virus.exe", strings.NewReader("MZ")); st != 400 || code != "invalid_input" {
		t.Errorf("bad extension: %d %s", st, code)
	}
	if st, _ := post(tokBuyer2, "x.pdf", strings.NewReader("x")); st != 404 {
		t.Errorf("upload to a stranger's flow: %d", st)
	}
	var v marketplace.FlowView
	e.Must(http.StatusOK, "GET", "/v1/flows/"+flow.ID, tokBuyer, nil).JSON(t, &v)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// serviceProduct2 is a professional service sold by seller-1.
func serviceProduct2() map[string]any {
	p := serviceProduct()
	p["name"] = "ERP Migration Service"
	return p
}
