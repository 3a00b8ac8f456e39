package saasaccess

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Request is one decoded request body: Activity says which of the pointers
// is set.
type Request struct {
	Activity             Activity
	NewInstance          *NewInstanceRequest
	QueryInstance        *QueryInstanceRequest
	RefreshInstance      *RefreshInstanceRequest
	UpdateInstanceStatus *UpdateInstanceStatusRequest
	ReleaseInstance      *ReleaseInstanceRequest
	UpgradeInstance      *UpgradeInstanceRequest
	ChangeInstanceCheck  *ChangeInstanceCheckRequest
}

// envelope is the union of every activity's fields, so that a body is
// decoded once whatever its activity. productInfo and orderInfo are kept
// raw because the examples disagree on object vs array.
type envelope struct {
	Activity    Text            `json:"activity"`
	OrderID     Text            `json:"orderId"`
	OrderLineID Text            `json:"orderLineId"`
	BusinessID  Text            `json:"businessId"`
	ProductID   Text            `json:"productId"`
	InstanceID  Text            `json:"instanceId"`
	Scene       Text            `json:"scene"`
	ExpireTime  Text            `json:"expireTime"`
	Status      Text            `json:"status"`
	TestFlag    Text            `json:"testFlag"`
	BuyerInfo   *BuyerInfo      `json:"buyerInfo"`
	OrderInfo   json.RawMessage `json:"orderInfo"`
	ProductInfo json.RawMessage `json:"productInfo"`
}

// DecodeRequest decodes a request body tolerantly, the way the reference
// recommends for a seller:
//
//   - unknown fields are ignored, field names match case-insensitively, a
//     leading UTF-8 byte order mark and surrounding white space are skipped;
//   - scalars may be strings, numbers or booleans (see Text, Number);
//   - the activity is trimmed and matched case-insensitively;
//   - orderInfo and productInfo may be one object or an array of them;
//   - an absent testFlag reads as "0" (ambiguity 10);
//   - the changeInstanceCheck example's copy-paste error (ambiguity 9): a
//     body whose activity says upgradeInstance but which carries productInfo
//     and no orderId is a changeInstanceCheck. (The queryInstance page's
//     "in the upgrade scenario the value is queryInstance" needs nothing:
//     queryInstance is read as queryInstance.)
//
// Only what the dispatch needs is checked here: well-formed JSON, a known
// activity, and per-field shapes. Required fields and lengths are checked
// by the provisioning request's Validate.
//
// Errors: *RequestError wrapping ErrBadRequest.
func DecodeRequest(body []byte) (*Request, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, &RequestError{Reason: "body is not a JSON object"}
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &RequestError{Reason: "malformed JSON: " + jsonErrText(err)}
	}
	products, err := decodeOneOrMany[ProductInfo](env.ProductInfo, "productInfo")
	if err != nil {
		return nil, err
	}
	orders, err := decodeOneOrMany[OrderInfo](env.OrderInfo, "orderInfo")
	if err != nil {
		return nil, err
	}
	testFlag := Text(strings.TrimSpace(string(env.TestFlag)))
	if testFlag == "" {
		testFlag = "0"
	}
	act, ok := canonicalActivity(string(env.Activity))
	if !ok {
		if env.Activity == "" {
			return nil, &RequestError{Field: "activity", Reason: "is required"}
		}
		return nil, &RequestError{Field: "activity", Reason: "unknown activity " + quoteShort(string(env.Activity))}
	}
	if act == ActivityUpgradeInstance && len(products) > 0 && env.OrderID == "" {
		act = ActivityChangeInstanceCheck
	}
	req := &Request{Activity: act}
	switch act {
	case ActivityNewInstance:
		req.NewInstance = &NewInstanceRequest{
			Activity: act, OrderID: env.OrderID, OrderLineID: env.OrderLineID, BusinessID: env.BusinessID,
			ProductID: env.ProductID, TestFlag: testFlag, BuyerInfo: env.BuyerInfo, OrderInfo: orders,
		}
	case ActivityQueryInstance:
		req.QueryInstance = &QueryInstanceRequest{Activity: act, InstanceID: env.InstanceID, TestFlag: testFlag}
	case ActivityRefreshInstance:
		req.RefreshInstance = &RefreshInstanceRequest{
			Activity: act, Scene: env.Scene, OrderID: env.OrderID, OrderLineID: env.OrderLineID,
			InstanceID: env.InstanceID, ProductID: env.ProductID, ExpireTime: env.ExpireTime, TestFlag: testFlag,
		}
	case ActivityUpdateInstanceStatus:
		req.UpdateInstanceStatus = &UpdateInstanceStatusRequest{Activity: act, InstanceID: env.InstanceID, Status: env.Status, TestFlag: testFlag}
	case ActivityReleaseInstance:
		req.ReleaseInstance = &ReleaseInstanceRequest{
			Activity: act, InstanceID: env.InstanceID, OrderID: env.OrderID, OrderLineID: env.OrderLineID, TestFlag: testFlag,
		}
	case ActivityUpgradeInstance:
		req.UpgradeInstance = &UpgradeInstanceRequest{
			Activity: act, InstanceID: env.InstanceID, OrderID: env.OrderID, OrderLineID: env.OrderLineID, TestFlag: testFlag,
		}
	case ActivityChangeInstanceCheck:
		var p *ProductInfo
		if len(products) > 0 {
			p = &products[0]
		}
		req.ChangeInstanceCheck = &ChangeInstanceCheckRequest{Activity: act, InstanceID: env.InstanceID, ProductInfo: p, TestFlag: testFlag}
	}
	return req, nil
}

// canonicalActivity matches s against the known activities, ignoring case
// and surrounding white space.
func canonicalActivity(s string) (Activity, bool) {
	s = strings.TrimSpace(s)
	for _, a := range Activities {
		if strings.EqualFold(s, string(a)) {
			return a, true
		}
	}
	return "", false
}

// decodeOneOrMany decodes raw as []T, accepting a single T or null too.
func decodeOneOrMany[T any](raw json.RawMessage, field string) ([]T, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '[':
		var many []T
		if err := json.Unmarshal(raw, &many); err != nil {
			return nil, &RequestError{Field: field, Reason: jsonErrText(err)}
		}
		return many, nil
	case '{':
		var one T
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, &RequestError{Field: field, Reason: jsonErrText(err)}
		}
		return []T{one}, nil
	}
	return nil, &RequestError{Field: field, Reason: "must be an object or an array of objects"}
}

// jsonErrText returns err's text; our Text/Number errors come wrapped by
// encoding/json with the field path, which is what a caller needs.
func jsonErrText(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// quoteShort quotes s, cut to 40 bytes so a hostile body cannot make the
// answer large.
func quoteShort(s string) string {
	const keep = 40
	if len(s) > keep {
		s = s[:keep] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
