-- One UTC day of the usage ledger, summed per (tenant, model as called, region, tier).
-- Run unchanged by every SQL engine: Athena (Trino) and DuckDB, which defines the few Trino
-- functions it lacks as macros (token_profiler.ledger.duckdb_engine). {source} is the relation of
-- archived lines (one column, `line`: a whole log message) that may hold the day; the three ?
-- are the day, the next day and aggregate.LATE_UNTIL (ledger.day_params).
--
-- The rules are the aggregator's checked path (token_profiler.aggregate.DayAggregate): a line
-- counts when its message is the usage marker and its token_usage has schema version 1, 2 or 3 (a
-- JSON number equal to 1, 2 or 3, or true, which Python reads as 1), non-empty string tenant, request
-- and model ids, a string region (absent: ""), four counts written as integers >= 0 (cache counts
-- may be absent: 0), an optional cache_write_1h_input_tokens integer between 0 and the cache
-- writes, an optional tier among the catalog's (absent: "standard") and an optional boolean
-- timed_out and an optional day (a string or null). A line belongs to the day it names (version 3's
-- signed `day`), else to the day it was logged; it is read when logged that day or in the next
-- day's first minutes (a call just before midnight logged after it). Lines that name another day
-- than the one they were logged on were refused before this query (ingestion, or the DuckDB
-- engine's check); here they simply belong to the day they name. Among valid lines with the same request id the earliest (logged timestamp) wins;
-- later ones are duplicates. Invalid lines are counted in one group whose key is NULL.
-- Columns: the DayAggregate sums in their order (input, output, cache_read, cache_write,
-- invocations, cache_write_1h), then duplicates and skipped.
WITH params AS (
    SELECT ? AS day, ? AS next_day, ? AS late_until
),
lines AS (
    SELECT
        line,
        try(json_extract(line, '$.token_usage')) AS usage,
        -- when the line was logged; a line cut short (not JSON) still shows its timestamp
        coalesce(
            try(json_extract_scalar(line, '$.timestamp')), regexp_extract(line, '"timestamp": ?"([^"]*)"', 1)
        ) AS logged
    FROM {source}
    -- the subscription filter's pattern: lines that mention the marker
    WHERE strpos(line, 'TOKEN_USAGE') > 0
),
candidates AS (
    SELECT line, usage
    FROM lines CROSS JOIN params
    WHERE (
        substr(logged, 1, 10) = params.day
        OR (substr(logged, 1, 10) = params.next_day AND substr(logged, 12, 5) < params.late_until)
    )
      -- the day the line names (a string), else the day it was logged
      AND CASE
          WHEN regexp_like(coalesce(json_format(json_extract(usage, '$.day')), ''), '^"')
              THEN json_extract_scalar(usage, '$.day')
          ELSE substr(logged, 1, 10)
      END = params.day
),
typed AS (
    SELECT
        try(json_extract_scalar(line, '$.timestamp')) AS logged_at,
        try(json_extract_scalar(line, '$.message')) AS message,
        json_format(json_extract(usage, '$.schema_version')) AS schema_version,
        json_format(json_extract(usage, '$.tenant_id')) AS tenant_json,
        json_format(json_extract(usage, '$.request_id')) AS request_json,
        json_format(json_extract(usage, '$.model_id')) AS model_json,
        coalesce(json_format(json_extract(usage, '$.region')), '""') AS region_json,
        json_format(json_extract(usage, '$.input_tokens')) AS input_json,
        json_format(json_extract(usage, '$.output_tokens')) AS output_json,
        coalesce(json_format(json_extract(usage, '$.cache_read_input_tokens')), '0') AS cache_read_json,
        coalesce(json_format(json_extract(usage, '$.cache_write_input_tokens')), '0') AS cache_write_json,
        coalesce(json_format(json_extract(usage, '$.cache_write_1h_input_tokens')), '0') AS cache_write_1h_json,
        coalesce(json_format(json_extract(usage, '$.tier')), '"standard"') AS tier_json,
        coalesce(json_format(json_extract(usage, '$.timed_out')), 'false') AS timed_out_json,
        coalesce(json_format(json_extract(usage, '$.day')), 'null') AS day_json,
        json_extract_scalar(usage, '$.tenant_id') AS tenant_id,
        json_extract_scalar(usage, '$.request_id') AS request_id,
        json_extract_scalar(usage, '$.model_id') AS model_id,
        coalesce(json_extract_scalar(usage, '$.region'), '') AS region,
        coalesce(json_extract_scalar(usage, '$.tier'), 'standard') AS tier
    FROM candidates
),
checked AS (
    SELECT
        *,
        coalesce(
            message = 'TOKEN_USAGE'
            AND (schema_version = 'true' OR try_cast(schema_version AS DOUBLE) IN (1, 2, 3))
            AND regexp_like(tenant_json, '^"..*"$')
            AND regexp_like(request_json, '^"..*"$')
            AND regexp_like(model_json, '^"..*"$')
            AND regexp_like(region_json, '^".*"$')
            AND regexp_like(input_json, '^[0-9]{1,18}$')
            AND regexp_like(output_json, '^[0-9]{1,18}$')
            AND regexp_like(cache_read_json, '^[0-9]{1,18}$')
            AND regexp_like(cache_write_json, '^[0-9]{1,18}$')
            AND regexp_like(cache_write_1h_json, '^[0-9]{1,18}$')
            AND try_cast(cache_write_1h_json AS BIGINT) <= try_cast(cache_write_json AS BIGINT)
            AND regexp_like(tier_json, '^".*"$')
            AND tier IN ('standard', 'long_context', 'batch', 'flex', 'priority')
            AND timed_out_json IN ('true', 'false')
            AND (day_json = 'null' OR regexp_like(day_json, '^".*"$')),
            false
        ) AS valid
    FROM typed
),
ranked AS (
    SELECT
        *,
        CASE WHEN valid
            THEN row_number() OVER (PARTITION BY valid, request_id ORDER BY logged_at)
        END AS nth
    FROM checked
)
SELECT
    CASE WHEN valid THEN tenant_id END AS tenant_id,
    CASE WHEN valid THEN model_id END AS model_id,
    CASE WHEN valid THEN region END AS region,
    CASE WHEN valid THEN tier END AS tier,
    sum(CASE WHEN nth = 1 THEN try_cast(input_json AS BIGINT) ELSE 0 END) AS input_tokens,
    sum(CASE WHEN nth = 1 THEN try_cast(output_json AS BIGINT) ELSE 0 END) AS output_tokens,
    sum(CASE WHEN nth = 1 THEN try_cast(cache_read_json AS BIGINT) ELSE 0 END) AS cache_read_input_tokens,
    sum(CASE WHEN nth = 1 THEN try_cast(cache_write_json AS BIGINT) ELSE 0 END) AS cache_write_input_tokens,
    sum(CASE WHEN nth = 1 THEN 1 ELSE 0 END) AS invocations,
    sum(CASE WHEN nth = 1 THEN try_cast(cache_write_1h_json AS BIGINT) ELSE 0 END) AS cache_write_1h_input_tokens,
    sum(CASE WHEN nth > 1 THEN 1 ELSE 0 END) AS duplicates,
    sum(CASE WHEN valid THEN 0 ELSE 1 END) AS skipped
FROM ranked
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
