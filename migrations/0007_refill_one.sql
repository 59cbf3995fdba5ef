-- Refilling the rollups one table at a time, so that a bulk loader can refill them side by
-- side (one per core) and skip those it wrote itself (BENCHMARKS.md). `rollups_refill()`,
-- which refilled them all in one statement, is replaced by the application's list of
-- tables (`dashboard::rollups`), refilled with this.

-- Rebuilds `rollup` (a rollup table, or `comebacks`) from its scan view `<rollup>_scan`,
-- whose columns it has; a rollup's rows are written compacted, one per key. With room to
-- hash in memory: the cadence steps' refill over ten million interactions spills to disk,
-- and takes minutes instead of seconds, with the default working memory.
create function rollup_refill(rollup text) returns void
language plpgsql set work_mem = '256MB' as $$
declare
    scan text := rollup || '_scan';
    columns text := (select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
                     from pg_attribute a
                     where a.attrelid = scan::regclass and a.attnum > 0 and not a.attisdropped);
    compacted boolean := exists (select 1 from pg_attribute a
                                 where a.attrelid = rollup::regclass and a.attname = 'compacted'
                                   and not a.attisdropped);
begin
    execute format('truncate %I', rollup);
    execute format('insert into %I (%s%s) select %s%s from %I',
                   rollup, columns, case when compacted then ', compacted' else '' end,
                   columns, case when compacted then ', true' else '' end, scan);
end
$$;

drop function rollups_refill();
