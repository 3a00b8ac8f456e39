package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/opengallery/opengallery/marketplace"
)

// DefaultMaxBody is the default limit for JSON request bodies: 1 MiB.
const DefaultMaxBody = 1 << 20

// Handler serves the REST API. Build it with NewHandler; mount it anywhere
// (it routes on paths starting with /v1, so under a prefix wrap it with
// http.StripPrefix).
type Handler struct {
	svc     Service
	auth    Authenticator
	blobs   BlobStore
	up      uploadConfig // attachments' upload records (uploads.go)
	log     *slog.Logger
	maxBody int64
	health  func(context.Context) error
	extra   []extraRoute
	mux     *http.ServeMux
	routes  []string
}

type extraRoute struct {
	pattern string
	h       http.Handler
}

// Option configures a Handler.
type Option func(*Handler)

// WithAuthenticator sets the authentication port. Without one every
// authenticated route answers 401.
func WithAuthenticator(a Authenticator) Option { return func(h *Handler) { h.auth = a } }

// WithBlobStore sets where attachments are streamed. Without one, or when
// it is not also an UploadIndex (FileBlobs is), attachment uploads answer
// 503 (dependency_unavailable) and an action citing one is refused (400).
func WithBlobStore(b BlobStore) Option { return func(h *Handler) { h.blobs = b } }

// WithLogger sets the logger for internal faults (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMaxBody sets the JSON body limit in bytes (default DefaultMaxBody).
func WithMaxBody(n int64) Option {
	return func(h *Handler) {
		if n > 0 {
			h.maxBody = n
		}
	}
}

// WithHealthCheck makes GET /v1/health also run check (for example a store
// ping); a failing check answers 503.
func WithHealthCheck(check func(context.Context) error) Option {
	return func(h *Handler) { h.health = check }
}

// WithRoute registers an additional route served by next, authenticated
// like every other route: the actor is available to next through
// ActorFrom. The portal uses it for POST /v1/clock/advance, which exists
// only with a simulated clock. pattern is a ServeMux pattern with a method,
// e.g. "POST /v1/clock/advance".
func WithRoute(pattern string, next http.Handler) Option {
	return func(h *Handler) { h.extra = append(h.extra, extraRoute{pattern, next}) }
}

// NewHandler returns the REST API over svc.
func NewHandler(svc Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, log: slog.Default(), maxBody: DefaultMaxBody, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	h.mux.HandleFunc("GET /v1/health", h.getHealth)
	h.routes = append(h.routes, "GET /v1/health")
	h.mux.HandleFunc("GET /v1/openapi.json", serveOpenAPI)
	h.routes = append(h.routes, "GET /v1/openapi.json")
	h.register()
	for _, e := range h.extra {
		next := e.h
		h.handle(e.pattern, func(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, a)))
			return nil
		})
	}
	h.mux.HandleFunc("/", h.notFound)
	return h
}

// Routes returns the patterns the handler serves ("METHOD /v1/path"), in
// registration order. Tests check each against the OpenAPI document.
func (h *Handler) Routes() []string { return slices.Clone(h.routes) }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

type actorKey struct{}

// ActorFrom returns the authenticated actor of a request passed to a route
// added with WithRoute.
func ActorFrom(ctx context.Context) (marketplace.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(marketplace.Actor)
	return a, ok
}

// endpoint is an authenticated route: it returns an error for the single
// error writer instead of writing one itself.
type endpoint func(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error

// handle registers an authenticated route.
func (h *Handler) handle(pattern string, e endpoint) {
	h.routes = append(h.routes, pattern)
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		a, err := h.authenticate(r)
		if err == nil {
			err = e(w, r, a)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *Handler) authenticate(r *http.Request) (marketplace.Actor, error) {
	if h.auth == nil {
		return marketplace.Actor{}, ErrUnauthenticated
	}
	a, err := h.auth.Authenticate(r)
	if err != nil {
		return marketplace.Actor{}, err
	}
	if err := a.Validate(); err != nil {
		// An authenticator that returns a broken actor is a host bug, not
		// the client's fault: wrapped without %w so that it is not mapped
		// to invalid input but answered 500 and logged.
		return marketplace.Actor{}, fmt.Errorf("httpapi: the authenticator returned an invalid actor: %v", err)
	}
	return a, nil
}

// notFound answers every unmatched request: 405 when the path exists with
// other methods, 404 otherwise, both as problems.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := h.mux.Handler(probe); pat != "/" && pat != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, Problem{Type: "https://opengallery.dev/problems/" + string(CodeMethodNotAllowed),
			Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Detail: "allowed: " + strings.Join(allow, ", "), Instance: r.URL.Path})
		return
	}
	writeProblem(w, Problem{Type: "https://opengallery.dev/problems/" + string(CodeNotFound), Title: "Not found",
		Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such resource, or not yours", Instance: r.URL.Path})
}

func (h *Handler) getHealth(w http.ResponseWriter, r *http.Request) {
	if h.health != nil {
		if err := h.health(r.Context()); err != nil {
			h.log.ErrorContext(r.Context(), "httpapi: health check failed", slog.Any("error", err))
			writeProblem(w, Problem{Type: "https://opengallery.dev/problems/" + string(CodeDependencyUnavailable),
				Title: "Unhealthy", Status: http.StatusServiceUnavailable, Code: CodeDependencyUnavailable,
				Detail: "a health check failed", Instance: r.URL.Path})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// writeJSON encodes v as the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeVersioned encodes v with its ETag.
func writeVersioned(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("ETag", etag(version))
	writeJSON(w, status, v)
}
