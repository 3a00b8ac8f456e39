package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema migrations as an fs.FS of .sql files, to be
// applied in name order, for hosts that run their own migration tool.
// Migrate applies the same files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists: this cannot happen
	}
	return sub
}

// MigrationsTable records which migrations Migrate has applied.
const MigrationsTable = "og_schema_migrations"

// Migrate applies the embedded migrations not yet recorded in
// og_schema_migrations, in name order, each in its own transaction together
// with its record, through the single writer. It is safe to call on every
// start and from several processes: the write lock serialises them and each
// migration is applied once.
//
// Errors: ErrClosed; ctx.Err(); an error naming the migration whose SQL
// failed (the failed migration leaves nothing behind).
func (s *Store) Migrate(ctx context.Context) error {
	names, err := fs.Glob(Migrations(), "*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	slices.Sort(names)
	err = s.write(ctx, func(ctx context.Context, q sqlTx) error {
		_, err := q.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+MigrationsTable+` (
			name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", MigrationsTable, err)
	}
	for _, name := range names {
		body, err := fs.ReadFile(Migrations(), name)
		if err != nil {
			return fmt.Errorf("sqlite: read migration %s: %w", name, err)
		}
		err = s.write(ctx, func(ctx context.Context, q sqlTx) error {
			var n int
			if err := q.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+MigrationsTable+` WHERE name = ?`, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := q.tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			// The migration time is bookkeeping only, not domain time.
			_, err := q.tx.ExecContext(ctx, `INSERT INTO `+MigrationsTable+` (name, applied_at) VALUES (?, ?)`,
				name, time.Now().UTC().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
	}
	return nil
}

// AppliedMigrations lists the names of the applied migrations in order.
//
// Errors: ctx.Err(); driver errors.
func (s *Store) AppliedMigrations(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM `+MigrationsTable+` ORDER BY name`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil
		}
		return nil, fmt.Errorf("sqlite: applied migrations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
