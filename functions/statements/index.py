"""Monthly statements: POST /statements (list), /statement_download (a presigned link) and
/statement_generate (admins); a schedule's event (no HTTP method) writes the month that closed."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import dates, settings, statements
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client
from token_profiler.storage import UsageTable

SETTINGS = settings.load("statements")
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)
TABLE = UsageTable(aws_client("dynamodb"), SETTINGS.table_name)
S3 = aws_client("s3")
BUCKET, ADMIN = SETTINGS.s3_bucket, SETTINGS.admin_group


@app.post("/statements")
def list_statements():
    body = json_body(app, required=False)
    return statements.list_request(S3, BUCKET, caller(app), body, ADMIN, dates.today())


@app.post("/statement_download")
def statement_download():
    body = json_body(app, required=True)
    return statements.download_request(S3, BUCKET, caller(app), body, ADMIN, dates.today())


@app.post("/statement_generate")
def statement_generate():
    body = json_body(app, required=True)
    return statements.generate_request(TABLE, S3, BUCKET, caller(app), body, ADMIN, dates.today())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    if isinstance(event, dict) and "httpMethod" in event:
        return app.resolve(event, context)
    answer = statements.scheduled_run(TABLE, S3, BUCKET, event, dates.today())
    logger.info("statements written", extra={"month": answer["month"], "count": len(answer["statements"])})
    return answer
