package saasaccess_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *saasaccess.Request
	}{
		{"newInstance table shape, testFlag defaults to 0", `{"activity":"newInstance","orderId":"o","orderLineId":"l","businessId":"b"}`,
			&saasaccess.Request{Activity: saasaccess.ActivityNewInstance, NewInstance: &saasaccess.NewInstanceRequest{
				Activity: saasaccess.ActivityNewInstance, OrderID: "o", OrderLineID: "l", BusinessID: "b", TestFlag: "0"}}},
		{"newInstance example shape with numbers", `{"activity":"newInstance","orderId":"o","testFlag":1,"buyerInfo":{"customerId":"c"},
			"orderInfo":[{"orderAmount":12.5,"periodNumber":5,"productInfo":[{"productId":"p","linearValue":10}]}]}`,
			&saasaccess.Request{Activity: saasaccess.ActivityNewInstance, NewInstance: &saasaccess.NewInstanceRequest{
				Activity: saasaccess.ActivityNewInstance, OrderID: "o", TestFlag: "1", BuyerInfo: &saasaccess.BuyerInfo{CustomerID: "c"},
				OrderInfo: []saasaccess.OrderInfo{{OrderAmount: "12.5", PeriodNumber: "5", ProductInfo: []saasaccess.ProductInfo{{ProductID: "p", LinearValue: "10"}}}}}}},
		{"queryInstance page's upgrade wording needs nothing", `{"activity":"queryInstance","instanceId":"a,b"}`,
			&saasaccess.Request{Activity: saasaccess.ActivityQueryInstance, QueryInstance: &saasaccess.QueryInstanceRequest{
				Activity: saasaccess.ActivityQueryInstance, InstanceID: "a,b", TestFlag: "0"}}},
		{"refresh", `{"activity":"refreshInstance","scene":"RENEWAL","orderId":"o","orderLineId":"l","instanceId":"i","productId":"p","expireTime":"20270101000000","testFlag":"0"}`,
			&saasaccess.Request{Activity: saasaccess.ActivityRefreshInstance, RefreshInstance: &saasaccess.RefreshInstanceRequest{
				Activity: saasaccess.ActivityRefreshInstance, Scene: "RENEWAL", OrderID: "o", OrderLineID: "l", InstanceID: "i", ProductID: "p", ExpireTime: "20270101000000", TestFlag: "0"}}},
		{"status", `{"activity":"updateInstanceStatus","instanceId":"i","status":"UNFREEZE","testFlag":null}`,
			&saasaccess.Request{Activity: saasaccess.ActivityUpdateInstanceStatus, UpdateInstanceStatus: &saasaccess.UpdateInstanceStatusRequest{
				Activity: saasaccess.ActivityUpdateInstanceStatus, InstanceID: "i", Status: "UNFREEZE", TestFlag: "0"}}},
		{"release", `{"activity":"releaseInstance","instanceId":"i","orderId":"o"}`,
			&saasaccess.Request{Activity: saasaccess.ActivityReleaseInstance, ReleaseInstance: &saasaccess.ReleaseInstanceRequest{
				Activity: saasaccess.ActivityReleaseInstance, InstanceID: "i", OrderID: "o", TestFlag: "0"}}},
		{"upgrade", `{"activity":"upgradeInstance","instanceId":"i","orderId":"o","orderLineId":"l"}`,
			&saasaccess.Request{Activity: saasaccess.ActivityUpgradeInstance, UpgradeInstance: &saasaccess.UpgradeInstanceRequest{
				Activity: saasaccess.ActivityUpgradeInstance, InstanceID: "i", OrderID: "o", OrderLineID: "l", TestFlag: "0"}}},
		{"upgrade with productInfo and orderId stays an upgrade", `{"activity":"upgradeInstance","instanceId":"i","orderId":"o","productInfo":{"productId":"p"}}`,
			&saasaccess.Request{Activity: saasaccess.ActivityUpgradeInstance, UpgradeInstance: &saasaccess.UpgradeInstanceRequest{
				Activity: saasaccess.ActivityUpgradeInstance, InstanceID: "i", OrderID: "o", TestFlag: "0"}}},
		{"changeInstanceCheck's published example (activity upgradeInstance)", `{"activity":"upgradeInstance","instanceId":"i","productInfo":{"productId":"p","skuCode":"s"}}`,
			&saasaccess.Request{Activity: saasaccess.ActivityChangeInstanceCheck, ChangeInstanceCheck: &saasaccess.ChangeInstanceCheckRequest{
				Activity: saasaccess.ActivityChangeInstanceCheck, InstanceID: "i", ProductInfo: &saasaccess.ProductInfo{ProductID: "p", SKUCode: "s"}, TestFlag: "0"}}},
		{"changeInstanceCheck with productInfo as an array", `{"activity":"changeInstanceCheck","instanceId":"i","productInfo":[{"productId":"p"}]}`,
			&saasaccess.Request{Activity: saasaccess.ActivityChangeInstanceCheck, ChangeInstanceCheck: &saasaccess.ChangeInstanceCheckRequest{
				Activity: saasaccess.ActivityChangeInstanceCheck, InstanceID: "i", ProductInfo: &saasaccess.ProductInfo{ProductID: "p"}, TestFlag: "0"}}},
		{"changeInstanceCheck without productInfo", `{"activity":"changeInstanceCheck","instanceId":"i","productInfo":null}`,
			&saasaccess.Request{Activity: saasaccess.ActivityChangeInstanceCheck, ChangeInstanceCheck: &saasaccess.ChangeInstanceCheckRequest{
				Activity: saasaccess.ActivityChangeInstanceCheck, InstanceID: "i", TestFlag: "0"}}},
		{"BOM, white space, field and activity case, unknown fields", "\ufeff \n" + `{"ACTIVITY":" ReleaseInstance ","InstanceId":"i","whatever":{"x":[true]}}` + "\n",
			&saasaccess.Request{Activity: saasaccess.ActivityReleaseInstance, ReleaseInstance: &saasaccess.ReleaseInstanceRequest{
				Activity: saasaccess.ActivityReleaseInstance, InstanceID: "i", TestFlag: "0"}}},
		{"booleans as text", `{"activity":"releaseInstance","instanceId":true}`,
			&saasaccess.Request{Activity: saasaccess.ActivityReleaseInstance, ReleaseInstance: &saasaccess.ReleaseInstanceRequest{
				Activity: saasaccess.ActivityReleaseInstance, InstanceID: "true", TestFlag: "0"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := saasaccess.DecodeRequest([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeRequestRefusals(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, ""},
		{"array", `[{"activity":"newInstance"}]`, ""},
		{"truncated", `{"activity":"newInstance"`, ""},
		{"trailing garbage", `{"activity":"newInstance"} x`, ""},
		{"no activity", `{"orderId":"o"}`, "activity"},
		{"unknown activity", `{"activity":"expireInstance"}`, "activity"},
		{"object where a string belongs", `{"activity":"newInstance","orderId":{"a":1}}`, ""},
		{"array where a string belongs", `{"activity":"newInstance","orderId":["a"]}`, ""},
		{"productInfo as a string", `{"activity":"changeInstanceCheck","productInfo":"p"}`, "productInfo"},
		{"orderInfo array of strings", `{"activity":"newInstance","orderInfo":["x"]}`, "orderInfo"},
		{"orderInfo object with bad field", `{"activity":"newInstance","orderInfo":{"orderAmount":{}}}`, "orderInfo"},
		{"bad string escape", `{"activity":"new\uZZZZ"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := saasaccess.DecodeRequest([]byte(tc.body))
			if !errors.Is(err, saasaccess.ErrBadRequest) {
				t.Fatalf("DecodeRequest = %+v, %v; want ErrBadRequest", got, err)
			}
			var re *saasaccess.RequestError
			if !errors.As(err, &re) || re.Field != tc.field {
				t.Errorf("err = %#v, want field %q", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "saasaccess: invalid request") {
				t.Errorf("text %q", err)
			}
		})
	}
	// A hostile activity is quoted short in the error.
	_, err := saasaccess.DecodeRequest([]byte(`{"activity":"` + strings.Repeat("z", 5000) + `"}`))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a long activity is %d bytes", len(err.Error()))
	}
}

func FuzzDecodeRequest(f *testing.F) {
	seeds := []string{
		`{"activity":"newInstance","orderId":"o","orderLineId":"l","businessId":"b","orderInfo":[{"orderAmount":1}]}`,
		`{"activity":"queryInstance","instanceId":"a,b"}`,
		`{"activity":"upgradeInstance","instanceId":"i","productInfo":{"productId":"p"}}`,
		`{"activity":"refreshInstance","scene":"RENEWAL","expireTime":20270101000000}`,
		"\ufeff{}", `[]`, `null`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := saasaccess.DecodeRequest(body)
		if err != nil {
			if !errors.Is(err, saasaccess.ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		// A decoded request names a known activity and fills exactly the
		// matching field.
		if !req.Activity.Known() {
			t.Fatalf("unknown activity %q decoded", req.Activity)
		}
		set := 0
		for _, p := range []bool{req.NewInstance != nil, req.QueryInstance != nil, req.RefreshInstance != nil, req.UpdateInstanceStatus != nil,
			req.ReleaseInstance != nil, req.UpgradeInstance != nil, req.ChangeInstanceCheck != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("%d activity fields set", set)
		}
	})
}
