package postgres_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/marketplace"
)

// A host that already has a pgx pool hands it to the store (Close leaves it
// open), applies the migrations once at start-up, and builds the
// marketplace on it. Several processes may do this against one database.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://gallery@db.internal:5432/gallery")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	st, err := postgres.New(pool, postgres.WithSchema("gallery"))
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	svc, err := marketplace.New(st)
	if err != nil {
		log.Fatal(err)
	}
	_ = svc
}
