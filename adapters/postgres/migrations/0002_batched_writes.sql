-- Update sends a transaction's writes together with its COMMIT in one
-- round trip: per table, one UPDATE of every row it changes, each row
-- matched on its id and the version the writer read. og_expect_rows makes a
-- short count an error, so that the round trip's COMMIT does not run and
-- the stale write surfaces as the store's conflict error (SQLSTATE OGV01,
-- which the adapter maps to *marketplace.ConflictError). It is VOLATILE (the
-- default) so that the planner never evaluates it ahead of the UPDATE.
CREATE FUNCTION og_expect_rows(got bigint, want bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF got <> want THEN
    RAISE EXCEPTION 'og: optimistic write matched % of % rows', got, want
      USING ERRCODE = 'OGV01';
  END IF;
  RETURN got;
END
$$;

