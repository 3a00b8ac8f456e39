package provisioning_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

var long65 = strings.Repeat("x", 65)

type validator interface{ Validate() error }

// checkValidation runs Validate on each case and compares the failing
// "field:rule" pairs; every failure must wrap ErrInvalidInput.
func checkValidation(t *testing.T, cases map[string]struct {
	v    validator
	want []string
}) {
	t.Helper()
	for name, tt := range cases {
		t.Run(name, func(t *testing.T) {
			err := tt.v.Validate()
			if diff := cmp.Diff(tt.want, fieldRules(err)); diff != "" {
				t.Errorf("failures (-want +got):\n%s\nerr: %v", diff, err)
			}
			if (err != nil) != (len(tt.want) > 0) {
				t.Errorf("err = %v", err)
			}
			if err != nil && !errors.Is(err, provisioning.ErrInvalidInput) {
				t.Errorf("error does not wrap ErrInvalidInput: %v", err)
			}
		})
	}
}

func createRequest() provisioning.CreateRequest {
	return provisioning.CreateRequest{
		OrderID: "CS1906666666ABCDE", OrderLineID: "CS1906666666ABCDE-000001", BusinessID: "b-1",
		ProductID: "00301-666666-0--0", Mode: billing.Monthly,
		Buyer: provisioning.Buyer{CustomerID: "c-1", UserName: "buyer"},
		Order: provisioning.OrderDetails{PeriodType: "month", PeriodCount: 1,
			Products: []provisioning.ProductInfo{{ProductID: "p", SKUCode: "sku", LinearValue: 10}}},
	}
}

func TestCreateRequestValidate(t *testing.T) {
	with := func(f func(*provisioning.CreateRequest)) provisioning.CreateRequest {
		r := createRequest()
		f(&r)
		return r
	}
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"valid":               {createRequest(), nil},
		"empty":               {provisioning.CreateRequest{}, []string{"order_id:required", "order_line_id:required", "business_id:required"}},
		"blank order":         {with(func(r *provisioning.CreateRequest) { r.OrderID = "  " }), []string{"order_id:required"}},
		"long ids":            {with(func(r *provisioning.CreateRequest) { r.OrderLineID, r.BusinessID, r.ProductID = long65, long65, long65 }), []string{"order_line_id:max_length", "business_id:max_length", "product_id:max_length"}},
		"64 is fine":          {with(func(r *provisioning.CreateRequest) { r.OrderID = long65[:64] }), nil},
		"ppu needs product":   {with(func(r *provisioning.CreateRequest) { r.Mode, r.ProductID = billing.PayPerUse, "" }), []string{"product_id:required"}},
		"unknown mode":        {with(func(r *provisioning.CreateRequest) { r.Mode = "weekly" }), []string{"mode:one_of"}},
		"negative linear":     {with(func(r *provisioning.CreateRequest) { r.Order.Products[0].LinearValue = -1 }), []string{"order.products[0].linear_value:range"}},
		"negative period":     {with(func(r *provisioning.CreateRequest) { r.Order.PeriodCount = -1 }), []string{"order.period_count:range"}},
		"long sku":            {with(func(r *provisioning.CreateRequest) { r.Order.Products[0].SKUCode = long65 }), []string{"order.products[0].sku_code:max_length"}},
		"no mode is accepted": {with(func(r *provisioning.CreateRequest) { r.Mode = "" }), nil},
	})
}

func TestCreateKey(t *testing.T) {
	r := createRequest()
	if got, want := r.Key(), (provisioning.CreateKey{OrderID: r.OrderID, OrderLineID: r.OrderLineID}); got != want {
		t.Errorf("Key = %+v, want %+v", got, want)
	}
	if got := r.Key().String(); got != "CS1906666666ABCDE/CS1906666666ABCDE-000001" {
		t.Errorf("String = %q", got)
	}
	r.Mode = billing.PayPerUse
	if got, want := r.Key(), (provisioning.CreateKey{OrderID: r.OrderID, ProductID: r.ProductID}); got != want {
		t.Errorf("pay-per-use Key = %+v, want %+v", got, want)
	}
	if got := r.Key().String(); got != "CS1906666666ABCDE/product:00301-666666-0--0" {
		t.Errorf("String = %q", got)
	}
	other := r
	other.OrderLineID, other.BusinessID = "another-line", "b-2"
	if other.Key() != r.Key() {
		t.Error("pay-per-use key must ignore the order line and business id")
	}
}

func TestQueryRequestValidate(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "inst-" + strings.Repeat("0", 4) + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		}
		return out
	}
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"one":      {provisioning.QueryRequest{InstanceIDs: []string{"i-1"}}, nil},
		"hundred":  {provisioning.QueryRequest{InstanceIDs: ids(100)}, nil},
		"none":     {provisioning.QueryRequest{}, []string{"instance_ids:required"}},
		"101":      {provisioning.QueryRequest{InstanceIDs: ids(101)}, []string{"instance_ids:range"}},
		"comma":    {provisioning.QueryRequest{InstanceIDs: []string{"a,b"}}, []string{"instance_ids[0]:format"}},
		"empty id": {provisioning.QueryRequest{InstanceIDs: []string{"a", ""}}, []string{"instance_ids[1]:required"}},
		"repeated": {provisioning.QueryRequest{InstanceIDs: []string{"a", "b", "a"}}, []string{"instance_ids[2]:duplicate"}},
		"too long": {provisioning.QueryRequest{InstanceIDs: []string{long65}}, []string{"instance_ids[0]:max_length"}},
	})
}

func TestResultsValidate(t *testing.T) {
	url512, url513 := "https://"+strings.Repeat("u", 504), "https://"+strings.Repeat("u", 505)
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"create ok":              {provisioning.CreateResult{InstanceID: "i"}, nil},
		"create no id":           {provisioning.CreateResult{}, []string{"instance_id:required"}},
		"create processing":      {provisioning.CreateResult{Processing: true}, nil},
		"create processing long": {provisioning.CreateResult{Processing: true, InstanceID: long65}, []string{"instance_id:max_length"}},
		"create long url":        {provisioning.CreateResult{InstanceID: "i", AppInfo: &provisioning.AppInfo{FrontEndURL: url513}}, []string{"app_info.front_end_url:max_length"}},
		"info ok":                {provisioning.InstanceInfo{InstanceID: "i", AppInfo: &provisioning.AppInfo{FrontEndURL: url512}}, nil},
		"info no id":             {provisioning.InstanceInfo{}, []string{"instance_id:required"}},
		"info long url":          {provisioning.InstanceInfo{InstanceID: "i", AppInfo: &provisioning.AppInfo{FrontEndURL: url513}}, []string{"app_info.front_end_url:max_length"}},
		"app info 512":           {provisioning.AppInfo{FrontEndURL: url512}, nil},
		"app info 513":           {provisioning.AppInfo{FrontEndURL: url513}, []string{"front_end_url:max_length"}},
		"app info 512 runes":     {provisioning.AppInfo{FrontEndURL: strings.Repeat("é", 512)}, nil},
	})
	if (provisioning.InstanceInfo{InstanceID: "i"}).Ready() {
		t.Error("no app info is not ready")
	}
	if !(provisioning.InstanceInfo{InstanceID: "i", AppInfo: &provisioning.AppInfo{}}).Ready() {
		t.Error("app info is ready")
	}
}

func TestLifecycleRequestsValidate(t *testing.T) {
	expiry := time.Date(2026, 12, 24, 15, 59, 59, 0, time.UTC)
	refresh := provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "o", OrderLineID: "l", InstanceID: "i", ExpiresAt: expiry}
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"refresh ok":            {refresh, nil},
		"refresh empty":         {provisioning.RefreshRequest{}, []string{"scene:one_of", "order_id:required", "order_line_id:required", "instance_id:required", "expires_at:required"}},
		"refresh bad scene":     {provisioning.RefreshRequest{Scene: "renewal", OrderID: "o", OrderLineID: "l", InstanceID: "i", ExpiresAt: expiry}, []string{"scene:one_of"}},
		"refresh long product":  {provisioning.RefreshRequest{Scene: provisioning.SceneTrialToFormal, OrderID: "o", OrderLineID: "l", InstanceID: "i", ProductID: long65, ExpiresAt: expiry}, []string{"product_id:max_length"}},
		"status freeze":         {provisioning.StatusRequest{InstanceID: "i", Status: provisioning.StatusFreeze}, nil},
		"status unfreeze":       {provisioning.StatusRequest{InstanceID: "i", Status: provisioning.StatusUnfreeze}, nil},
		"status NORMAL (V1)":    {provisioning.StatusRequest{InstanceID: "i", Status: "NORMAL"}, []string{"status:one_of"}},
		"status empty":          {provisioning.StatusRequest{}, []string{"instance_id:required", "status:one_of"}},
		"upgrade ok":            {provisioning.UpgradeRequest{InstanceID: "i", OrderID: "o", OrderLineID: "l"}, nil},
		"upgrade empty":         {provisioning.UpgradeRequest{}, []string{"instance_id:required", "order_id:required", "order_line_id:required"}},
		"change ok":             {provisioning.ChangeCheckRequest{InstanceID: "i", Product: provisioning.ProductInfo{ProductID: "p", LinearValue: 20}}, nil},
		"change empty":          {provisioning.ChangeCheckRequest{}, []string{"instance_id:required", "product.product_id:required"}},
		"change long product":   {provisioning.ChangeCheckRequest{InstanceID: "i", Product: provisioning.ProductInfo{ProductID: long65}}, []string{"product.product_id:max_length"}},
		"release ok":            {provisioning.ReleaseRequest{InstanceID: "i"}, nil},
		"release unsubscribe":   {provisioning.ReleaseRequest{InstanceID: "i", OrderID: "o", OrderLineID: "l"}, nil},
		"release line no order": {provisioning.ReleaseRequest{InstanceID: "i", OrderLineID: "l"}, []string{"order_id:required"}},
		"release empty":         {provisioning.ReleaseRequest{OrderID: long65}, []string{"instance_id:required", "order_id:max_length"}},
	})
}

func TestEnums(t *testing.T) {
	for _, s := range provisioning.Scenes {
		if !s.Valid() {
			t.Errorf("scene %q not valid", s)
		}
	}
	if got := len(provisioning.Scenes); got != 4 {
		t.Errorf("%d scenes, want 4", got)
	}
	for _, op := range provisioning.Operations {
		if !op.Valid() {
			t.Errorf("operation %q not valid", op)
		}
	}
	for _, bad := range []string{"", "RENEW", "trial_to_formal"} {
		if provisioning.Scene(bad).Valid() || provisioning.Operation(bad).Valid() || provisioning.InstanceStatus(bad).Valid() {
			t.Errorf("%q accepted", bad)
		}
	}
}
