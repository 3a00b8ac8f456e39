package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
)

// upload posts one file to a flow's attachments and returns the answer.
func (c client) upload(flow, token, name string, data []byte) (int, map[string]any) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/v1/flows/"+flow+"/attachments", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestAttachments: in the portal (simulated clock), the seller uploads the
// deliverable, cites it by its blob_ref alone, and the buyer downloads it;
// the buyer cannot cite the seller's upload as their own.
func TestAttachments(t *testing.T) {
	base, out, _ := startPortal(t, "-clock=sim")
	c := client{t, base}
	tok := tokens(t, out.String())
	buyer, seller := tok["buyer"], tok["seller"]
	items := c.must(200, "GET", "/v1/products?text=office&delivery=license", buyer, nil)["items"].([]any)
	product := items[0].(map[string]any)["id"].(string)
	o := c.must(201, "POST", "/v1/orders", buyer, map[string]any{"product_id": product, "spec_id": "annual", "mode": "yearly",
		"duration": 1, "agree_terms": true}, "Idempotency-Key", "attach-1")
	o = c.must(200, "POST", "/v1/orders/"+o["id"].(string)+"/pay", buyer, nil)
	flow := o["flow_id"].(string)

	data := []byte("license certificate")
	st, att := c.upload(flow, seller, "certificate.pdf", data)
	if st != 201 {
		t.Fatalf("upload: %d %v", st, att)
	}
	key := att["blob_ref"].(string)
	if st, p := c.do("POST", "/v1/flows/"+flow+"/actions/accept", buyer,
		map[string]any{"attachments": []any{map[string]any{"blob_ref": key}}}); st != 400 || p["field"] != "attachments.blob_ref" {
		t.Errorf("buyer citing the seller's upload: %d %v", st, p)
	}
	c.must(200, "POST", "/v1/flows/"+flow+"/actions/deliver", seller,
		map[string]any{"result": "License key DEMO-0002", "attachments": []any{map[string]any{"blob_ref": key}}})
	req, _ := http.NewRequest("GET", base+"/v1/flows/"+flow+"/attachments/"+key, nil)
	req.Header.Set("Authorization", "Bearer "+buyer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Errorf("download: %d %q", resp.StatusCode, got)
	}
}
