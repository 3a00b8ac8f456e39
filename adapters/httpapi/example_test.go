package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

// A host mounts the API under its own prefix and plugs in authentication.
// Unknown tokens get a problem with a stable code.
func ExampleNewHandler() {
	svc, _ := marketplace.New(memory.New())
	auth, _ := httpapi.NewStaticTokens(map[string]marketplace.Actor{"s3cret": marketplace.BuyerActor("buyer-1")})
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth))))

	for _, tok := range []string{"s3cret", "wrong"} {
		req := httptest.NewRequest("GET", "/api/v1/products?limit=5", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var body struct {
			Total *int   `json:"total"`
			Code  string `json:"code"`
		}
		_ = json.NewDecoder(rec.Body).Decode(&body)
		if body.Total != nil {
			fmt.Println(rec.Code, rec.Header().Get("Content-Type"), "total", *body.Total)
		} else {
			fmt.Println(rec.Code, rec.Header().Get("Content-Type"), "code", body.Code)
		}
	}
	// Output:
	// 200 application/json total 0
	// 401 application/problem+json code unauthenticated
}
