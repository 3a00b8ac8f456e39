package saasaccess

// Activity names the operation of a request: the activity field of every
// V2 body. One endpoint URL serves all of them.
type Activity string

// The V2 activities KooGallery calls on a seller.
const (
	ActivityNewInstance          Activity = "newInstance"
	ActivityQueryInstance        Activity = "queryInstance"
	ActivityRefreshInstance      Activity = "refreshInstance"
	ActivityUpdateInstanceStatus Activity = "updateInstanceStatus"
	ActivityReleaseInstance      Activity = "releaseInstance"
	ActivityUpgradeInstance      Activity = "upgradeInstance"
	ActivityChangeInstanceCheck  Activity = "changeInstanceCheck"
)

// Activities lists every V2 activity in the order of the access guide.
var Activities = []Activity{
	ActivityNewInstance, ActivityQueryInstance, ActivityRefreshInstance, ActivityUpdateInstanceStatus,
	ActivityReleaseInstance, ActivityUpgradeInstance, ActivityChangeInstanceCheck,
}

// Known reports whether a is one of Activities.
func (a Activity) Known() bool {
	for _, k := range Activities {
		if a == k {
			return true
		}
	}
	return false
}

// NewInstanceRequest is the newInstance body. The access guide's table
// lists only activity, orderId, orderLineId, businessId and testFlag; its
// signature example adds buyerInfo and orderInfo, so both shapes are
// carried (reference ambiguity 8). ProductID is not in the V2 table; it is
// carried for pay-per-use idempotency (orderId + productId).
type NewInstanceRequest struct {
	Activity    Activity    `json:"activity"`
	OrderID     Text        `json:"orderId"`
	OrderLineID Text        `json:"orderLineId,omitempty"`
	BusinessID  Text        `json:"businessId,omitempty"`
	ProductID   Text        `json:"productId,omitempty"`
	TestFlag    Text        `json:"testFlag,omitempty"`
	BuyerInfo   *BuyerInfo  `json:"buyerInfo,omitempty"`
	OrderInfo   []OrderInfo `json:"orderInfo,omitempty"`
}

// BuyerInfo is the buyer block of the newInstance example. MobilePhone and
// Email travel encrypted in the app-info format (iv + base64).
type BuyerInfo struct {
	CustomerID   Text `json:"customerId,omitempty"`
	CustomerName Text `json:"customerName,omitempty"`
	UserID       Text `json:"userId,omitempty"`
	UserName     Text `json:"userName,omitempty"`
	MobilePhone  Text `json:"mobilePhone,omitempty"`
	Email        Text `json:"email,omitempty"`
}

// OrderInfo is one order block of the newInstance example.
type OrderInfo struct {
	BusinessID    Text          `json:"businessId,omitempty"`
	OrderID       Text          `json:"orderId,omitempty"`
	TrialFlag     Text          `json:"trialFlag,omitempty"`
	OrderAmount   Number        `json:"orderAmount,omitempty"`
	ChargingMode  Text          `json:"chargingMode,omitempty"`
	PeriodType    Text          `json:"periodType,omitempty"`
	PeriodNumber  Number        `json:"periodNumber,omitempty"`
	ProvisionType Text          `json:"provisionType,omitempty"`
	ProductInfo   []ProductInfo `json:"productInfo,omitempty"`
	CreateTime    Text          `json:"createTime,omitempty"`
	ExpireTime    Text          `json:"expireTime,omitempty"`
	ExtendParams  []ExtendParam `json:"extendParams,omitempty"`
}

// ProductInfo names a product and SKU; LinearValue is the linear
// (capacity) attribute, e.g. a number of users.
type ProductInfo struct {
	SKUCode     Text   `json:"skuCode,omitempty"`
	ProductID   Text   `json:"productId,omitempty"`
	LinearValue Number `json:"linearValue,omitempty"`
}

// ExtendParam is a free name/value pair of an order.
type ExtendParam struct {
	Name  Text `json:"name"`
	Value Text `json:"value"`
}

// QueryInstanceRequest is the queryInstance body. InstanceID holds up to
// 100 comma-separated ids.
type QueryInstanceRequest struct {
	Activity   Activity `json:"activity"`
	InstanceID Text     `json:"instanceId"`
	TestFlag   Text     `json:"testFlag,omitempty"`
}

// RefreshInstanceRequest is the refreshInstance body. ExpireTime is
// yyyyMMddHHmmss as KooGallery sends it, kept raw.
type RefreshInstanceRequest struct {
	Activity    Activity `json:"activity"`
	Scene       Text     `json:"scene"`
	OrderID     Text     `json:"orderId"`
	OrderLineID Text     `json:"orderLineId"`
	InstanceID  Text     `json:"instanceId"`
	ProductID   Text     `json:"productId,omitempty"`
	ExpireTime  Text     `json:"expireTime"`
	TestFlag    Text     `json:"testFlag,omitempty"`
}

// UpdateInstanceStatusRequest is the updateInstanceStatus body; Status is
// FREEZE or UNFREEZE.
type UpdateInstanceStatusRequest struct {
	Activity   Activity `json:"activity"`
	InstanceID Text     `json:"instanceId"`
	Status     Text     `json:"status"`
	TestFlag   Text     `json:"testFlag,omitempty"`
}

// ReleaseInstanceRequest is the releaseInstance body; OrderID is set when
// an unsubscription causes the release.
type ReleaseInstanceRequest struct {
	Activity    Activity `json:"activity"`
	InstanceID  Text     `json:"instanceId"`
	OrderID     Text     `json:"orderId,omitempty"`
	OrderLineID Text     `json:"orderLineId,omitempty"`
	TestFlag    Text     `json:"testFlag,omitempty"`
}

// UpgradeInstanceRequest is the upgradeInstance body; OrderID is the paid
// upgrade order.
type UpgradeInstanceRequest struct {
	Activity    Activity `json:"activity"`
	InstanceID  Text     `json:"instanceId"`
	OrderID     Text     `json:"orderId"`
	OrderLineID Text     `json:"orderLineId"`
	TestFlag    Text     `json:"testFlag,omitempty"`
}

// ChangeInstanceCheckRequest is the changeInstanceCheck body; ProductInfo
// is the target product.
type ChangeInstanceCheckRequest struct {
	Activity    Activity     `json:"activity"`
	InstanceID  Text         `json:"instanceId"`
	ProductInfo *ProductInfo `json:"productInfo"`
	TestFlag    Text         `json:"testFlag,omitempty"`
}

// Response is the part shared by every response: resultCode (six digits,
// "000000" for success) and an optional resultMsg of at most 255 characters.
type Response struct {
	ResultCode Text `json:"resultCode"`
	ResultMsg  Text `json:"resultMsg,omitempty"`
}

// NewInstanceResponse answers newInstance with the instance id. AppInfo is
// optional: V2 delivers it through queryInstance, but a seller that has it
// at once may send it (V1 required frontEndUrl here).
type NewInstanceResponse struct {
	Response
	InstanceID  Text     `json:"instanceId,omitempty"`
	AppInfo     *AppInfo `json:"appInfo,omitempty"`
	EncryptType Text     `json:"encryptType,omitempty"`
}

// QueryInstanceResponse answers queryInstance. EncryptType, when present
// here or in an AppInfo, says how passwords are encrypted (absent: 1).
type QueryInstanceResponse struct {
	Response
	EncryptType Text           `json:"encryptType,omitempty"`
	Info        []InstanceInfo `json:"info,omitempty"`
}

// InstanceInfo is one instance of a queryInstance answer; a nil AppInfo
// means the instance is not ready yet.
type InstanceInfo struct {
	InstanceID Text     `json:"instanceId"`
	AppInfo    *AppInfo `json:"appInfo,omitempty"`
}

// AppInfo is how a buyer reaches an instance. Password travels encrypted
// (iv + base64 AES-CBC), with EncryptType saying which AES.
type AppInfo struct {
	FrontEndURL Text `json:"frontEndUrl,omitempty"`
	AdminURL    Text `json:"adminUrl,omitempty"`
	UserName    Text `json:"userName,omitempty"`
	Password    Text `json:"password,omitempty"`
	Memo        Text `json:"memo,omitempty"`
	EncryptType Text `json:"encryptType,omitempty"`
}
