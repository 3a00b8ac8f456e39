package conformance_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/adapters/saasaccess/conformance"
	"github.com/opengallery/opengallery/provisioning/fake"
)

func ExampleRun() {
	const accessKey = "0123456789abcdef0123456789abcdef"
	h, _ := saasaccess.NewHandler(accessKey, fake.NewSaaS())
	srv := httptest.NewServer(h)
	defer srv.Close()

	rep, err := conformance.Run(context.Background(), conformance.Config{Endpoint: srv.URL, AccessKey: accessKey})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results[len(rep.Results)-4:] {
		fmt.Println(r.Status, r.Check)
	}
	fmt.Println(len(rep.Results), "checks, all passed:", rep.Passed())
	// Output:
	// PASS refuse_tampered_body
	// PASS refuse_oversized_body
	// PASS refuse_unknown_activity
	// PASS release
	// 18 checks, all passed: true
}
