package supervision_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestNew(t *testing.T) {
	local := t0.In(time.FixedZone("GMT+8", 8*3600))
	expected := t0.Add(30 * day)
	tests := []struct {
		name  string
		id    string
		kind  sv.Kind
		now   time.Time
		opts  []sv.Option
		want  sv.Flow
		field string
	}{
		{"license waits for the seller on payment", "f", sv.License, local, nil,
			sv.Flow{ID: "f", Template: sv.License, Status: sv.AwaitingDelivery, CreatedAt: t0, StatusSince: t0}, ""},
		{"standard waits for the request", "f", sv.Standard, t0, nil,
			sv.Flow{ID: "f", Template: sv.Standard, Status: sv.AwaitingRequest, CreatedAt: t0, StatusSince: t0}, ""},
		{"saas with review and expected completion", "f", sv.SaaS, t0, []sv.Option{sv.WithPlatformReview(true), sv.WithExpectedCompletion(expected)},
			sv.Flow{ID: "f", Template: sv.SaaS, Status: sv.AwaitingRequest, CreatedAt: t0, StatusSince: t0, PlatformReview: true, ExpectedCompletion: expected}, ""},
		{"review on a license", "f", sv.License, t0, []sv.Option{sv.WithPlatformReview(true)}, sv.Flow{}, "platform_review"},
		{"unknown kind", "f", "hardware", t0, nil, sv.Flow{}, "template"},
		{"empty id", "", sv.SaaS, t0, nil, sv.Flow{}, "ID"},
		{"long id", strings.Repeat("i", 129), sv.SaaS, t0, nil, sv.Flow{}, "ID"},
		{"zero now", "f", sv.SaaS, time.Time{}, nil, sv.Flow{}, "now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sv.New(tt.id, tt.kind, tt.now, tt.opts...)
			if tt.field != "" {
				var ie *sv.InputError
				if !errors.As(err, &ie) || ie.Field != tt.field {
					t.Fatalf("err = %v, want InputError on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt not UTC")
			}
		})
	}
}

func TestFlowValidate(t *testing.T) {
	ok := mustNew(sv.SaaS, sv.WithPlatformReview(true))
	with := func(f func(*sv.Flow)) sv.Flow { g := ok; f(&g); return g }
	tests := []struct {
		name  string
		f     sv.Flow
		field string
	}{
		{"valid", ok, ""},
		{"unknown status", with(func(f *sv.Flow) { f.Status = "paused" }), "status"},
		{"license in request status", with(func(f *sv.Flow) { f.Template = sv.License; f.PlatformReview = false }), "status"},
		{"frozen outside appeal", with(func(f *sv.Flow) { f.Frozen = true }), "frozen"},
		{"appeal not frozen", with(func(f *sv.Flow) { f.Status = sv.AwaitingOperations }), "frozen"},
		{"review on standard", with(func(f *sv.Flow) { f.Template = sv.Standard }), "platform_review"},
		{"review status without review", with(func(f *sv.Flow) { f.PlatformReview = false; f.Status = sv.PlatformReview }), "status"},
		{"negative counter", with(func(f *sv.Flow) { f.BuyerRejections = -1 }), "counters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInputError(t, tt.f.Validate(), tt.field)
		})
	}
}

func TestLabelsAndWaitingOn(t *testing.T) {
	tests := []struct {
		kind    sv.Kind
		status  sv.Status
		label   string
		waiting sv.Role
	}{
		{sv.License, sv.AwaitingDelivery, "Waiting for the seller to provide the service", sv.Seller},
		{sv.Standard, sv.AwaitingDelivery, "Waiting for the seller to deliver the service", sv.Seller},
		{sv.SaaS, sv.AwaitingRequest, "Waiting for the user to submit the request", sv.Buyer},
		{sv.SaaS, sv.AwaitingConfirmation, "Waiting for the seller to confirm the request", sv.Seller},
		{sv.SaaS, sv.PlatformReview, "HUAWEI CLOUD Reviews Service", sv.Operator},
		{sv.License, sv.AwaitingAcceptance, "Waiting for the user to confirm acceptance", sv.Buyer},
		{sv.WebsiteDeployment, sv.AwaitingOperations, "Waiting for the operations team to handle", sv.Operator},
		{sv.License, sv.Completed, "Service completed", ""},
		{sv.SaaS, sv.Terminated, "Service terminated", ""},
	}
	for _, tt := range tests {
		f := sv.Flow{Template: tt.kind, Status: tt.status}
		if got := f.Label(); got != tt.label {
			t.Errorf("%s %s label = %q, want %q", tt.kind, tt.status, got, tt.label)
		}
		if got := f.WaitingOn(); got != tt.waiting {
			t.Errorf("%s waiting on %q, want %q", tt.status, got, tt.waiting)
		}
	}
	if got := (sv.Flow{Template: "x", Status: sv.Completed}).Label(); got != "Service completed" {
		t.Errorf("unknown template label = %q", got)
	}
	lic, _ := sv.Lookup(sv.License)
	if got := lic.Label(sv.AwaitingRequest); got != "awaiting_request" {
		t.Errorf("label of a status License lacks = %q", got)
	}
	if got := sv.Status("odd").Label(); got != "odd" {
		t.Errorf("unknown status label = %q", got)
	}
}

// TestFlowJSONRoundTrip checks that a flow and its record survive the JSON
// encoding a store may use, so hosts can persist them as documents.
func TestFlowJSONRoundTrip(t *testing.T) {
	p := sv.DefaultPolicy()
	f := mustNew(sv.SaaS, sv.WithPlatformReview(true), sv.WithExpectedCompletion(t0.Add(40*day)))
	f = mustApply(f, validCommand(sv.SubmitRequest, sv.Buyer), t0.Add(time.Hour), p)
	f = mustApply(f, validCommand(sv.Appeal, sv.Seller), t0.Add(2*time.Hour), p)
	f, rec, err := sv.Apply(f, validCommand(sv.Resume, sv.Operator), t0.Add(3*time.Hour), p)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"flow": f, "record": rec} {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		switch v.(type) {
		case sv.Flow:
			var g sv.Flow
			err = json.Unmarshal(raw, &g)
			got = g
		case sv.Record:
			var g sv.Record
			err = json.Unmarshal(raw, &g)
			got = g
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("%s changed through JSON (-want +got):\n%s", name, diff)
		}
	}
}

// TestFlowJSONNames pins the snake_case encoding of a new flow, a record
// and a command: unset times, counters and texts are left out.
func TestFlowJSONNames(t *testing.T) {
	p := sv.DefaultPolicy()
	f := mustNew(sv.Standard)
	sub := sv.Command{Actor: sv.Actor{ID: "buyer-1", Role: sv.Buyer}, Action: sv.SubmitRequest, Description: "set it up",
		Attachments: []sv.Attachment{{Name: "spec.pdf", Size: 10, BlobRef: "blob/1"}}}
	next, rec, err := sv.Apply(f, sub, t0.Add(time.Hour), p)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"new flow", f, `{"id":"flow-1","template":"standard","status":"` + string(f.Status) +
			`","created_at":"2026-03-01T08:00:00Z","status_since":"2026-03-01T08:00:00Z","seq":0}`},
		{"record", rec, `{"flow_id":"flow-1","seq":1,"at":"2026-03-01T09:00:00Z","actor":{"id":"buyer-1","role":"buyer"},` +
			`"action":"submit_request","from":"` + string(f.Status) + `","to":"` + string(next.Status) +
			`","description":"set it up","attachments":[{"name":"spec.pdf","size":10,"blob_ref":"blob/1"}]}`},
		{"command", sub, `{"actor":{"id":"buyer-1","role":"buyer"},"action":"submit_request","description":"set it up",` +
			`"attachments":[{"name":"spec.pdf","size":10,"blob_ref":"blob/1"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
	var back sv.Command
	if err := json.Unmarshal([]byte(tests[2].want), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sub, back); diff != "" {
		t.Errorf("command round trip (-want +got):\n%s", diff)
	}
}
