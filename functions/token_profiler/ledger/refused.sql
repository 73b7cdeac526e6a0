-- The refusals of one UTC day: the records the ingestion processor (token_profiler.ledger.ingest)
-- wrote in place of usage lines that did not verify or were not valid usage lines, counted by
-- reason. Run unchanged by Athena and DuckDB over the same {source} as day.sql; ? is the day.
-- A refusal record holds only the marker, a reason and the refused line's timestamp.
SELECT
    json_extract_scalar(line, '$.reason') AS reason,
    count(*) AS lines
FROM {source}
WHERE strpos(line, 'USAGE_LINE_REFUSED') > 0
  AND try(json_extract_scalar(line, '$.message')) = 'USAGE_LINE_REFUSED'
  AND substr(try(json_extract_scalar(line, '$.timestamp')), 1, 10) = ?
GROUP BY 1
ORDER BY 1
