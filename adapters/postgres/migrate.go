package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema migrations as an fs.FS of .sql files, to be
// applied in name order with search_path set to the target schema, for hosts
// that run their own migration tool. Migrate applies the same files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists: this cannot happen
	}
	return sub
}

// MigrationsTable records which migrations Migrate has applied.
const MigrationsTable = "og_schema_migrations"

// migrateLock is the advisory lock key that serialises Migrate calls from
// several processes ("og_migr" in ASCII).
const migrateLock = 0x6f675f6d69677200

// Migrate creates the store's schema if needed and applies the embedded
// migrations not yet recorded in og_schema_migrations, in name order, each
// in its own transaction together with its record. Concurrent calls from
// several processes are serialised by an advisory lock, so each migration is
// applied once.
//
// Errors: ctx.Err(); an error naming the migration whose SQL failed (the
// failed migration leaves nothing behind).
func (s *Store) Migrate(ctx context.Context) error {
	names, err := fs.Glob(Migrations(), "*.sql")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
	}
	slices.Sort(names)
	if s.schema != "" {
		// Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still
		// collide on the catalog's unique index.
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize())
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: create schema %s: %w", s.schema, err)
		}
	}
	for _, name := range names {
		body, err := fs.ReadFile(Migrations(), name)
		if err != nil {
			return fmt.Errorf("postgres: read migration %s: %w", name, err)
		}
		if err := s.migrateOne(ctx, name, string(body)); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, name, body string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
			return err
		}
		if s.schema != "" {
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MigrationsTable+` (
			name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+MigrationsTable+` WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+MigrationsTable+` (name) VALUES ($1)`, name)
		return err
	})
}

// AppliedMigrations lists the names of the applied migrations in order.
//
// Errors: ctx.Err(); pgx errors.
func (s *Store) AppliedMigrations(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM `+s.q.t(MigrationsTable)+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: applied migrations: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "42P01" { // undefined_table
			return nil, nil
		}
		return nil, fmt.Errorf("postgres: applied migrations: %w", err)
	}
	return names, nil
}
