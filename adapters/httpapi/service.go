package httpapi

// Service is the part of *marketplace.Service the adapter calls. It is
// declared here, by its consumer, so that tests and benchmarks can supply a
// fake; *marketplace.Service satisfies it.
type Service interface {
}

// register adds every use-case route.
func (h *Handler) register() {
}
