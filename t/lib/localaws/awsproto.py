"""Classify AWS requests by protocol, service and operation; build replies.

The front needs this to name requests in its log, to match fault rules and
to return errors in the shape each protocol uses: JSON 1.0/1.1 bodies
({"__type", "message"}), query-protocol XML <ErrorResponse> (STS, IAM,
CloudWatch classic) and REST-XML <Error> (S3).
"""

import hashlib
import http
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

# X-Amz-Target prefixes of the JSON services the tools use, mapped to their
# SigV4 signing names (used when a request carries no Authorization).
JSON_TARGET_SERVICES = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "Logs_20140328": "logs",
    "AmazonSSM": "ssm",
    "GraniteServiceVersion20100801": "monitoring",
}

# Query-protocol API versions mapped to signing names, for unsigned calls
# such as STS AssumeRoleWithWebIdentity.
QUERY_VERSIONS = {
    "2011-06-15": "sts",
    "2010-05-08": "iam",
    "2010-08-01": "monitoring",
    "2016-11-15": "ec2",
}

CREDENTIAL_RE = re.compile(
    r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request"
)


@dataclass
class Call:
    """One AWS request as the front understands it."""

    method: str
    path: str
    protocol: str  # "json", "query" or "rest"
    service: str  # SigV4 signing name, or a guess; "" when unknown
    operation: str
    params: object = None  # parsed JSON body or query form, else None
    json_version: str = "1.1"
    access_key_id: str = ""
    region: str = ""
    security_token: str = ""
    amz_date: str = ""
    user_agent: str = ""


@dataclass
class Reply:
    """An HTTP reply: status, headers in order, and the body bytes."""

    status: int
    headers: list = field(default_factory=list)
    body: bytes = b""

    def header(self, name):
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def set_header(self, name, value):
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        self.headers.append((name, value))

    def json(self):
        """Return the body parsed as a JSON object, or None."""
        try:
            doc = json.loads(self.body)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None

    def set_json(self, doc):
        self.body = json.dumps(doc, separators=(",", ":")).encode()


def _parse_form(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return dict(parse_qsl(text, keep_blank_values=True))


def _s3_operation(method, path, query):
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "ListBuckets" if method == "GET" else f"{method} /"
    has_key = len(parts) > 1
    if method == "GET" and has_key:
        return "GetObject"
    if method == "GET":
        return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    if method == "PUT":
        return "PutObject" if has_key else "CreateBucket"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return f"{method} {path}"


def classify(method, target, headers, body):
    """Build a Call from the request line target, headers and body."""
    split = urlsplit(target)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    auth = headers.get("Authorization", "") or query.get("X-Amz-Credential", "")
    if auth and not auth.startswith("AWS4-") and "Credential=" not in auth:
        auth = "Credential=" + auth
    cred = CREDENTIAL_RE.search(auth)
    call = Call(method=method, path=split.path, protocol="rest", service="",
                operation=f"{method} {split.path}")
    if cred:
        call.access_key_id = cred.group(1)
        call.region = cred.group(3)
        call.service = cred.group(4)
    call.security_token = (headers.get("X-Amz-Security-Token")
                           or query.get("X-Amz-Security-Token", ""))
    call.amz_date = headers.get("X-Amz-Date") or query.get("X-Amz-Date", "")
    call.user_agent = headers.get("User-Agent", "")

    content_type = headers.get("Content-Type", "")
    amz_target = headers.get("X-Amz-Target", "")
    if amz_target:
        prefix, _, operation = amz_target.rpartition(".")
        call.protocol = "json"
        call.operation = operation or amz_target
        call.service = call.service or JSON_TARGET_SERVICES.get(prefix, prefix)
        if "json-1.0" in content_type:
            call.json_version = "1.0"
        try:
            call.params = json.loads(body) if body else {}
        except ValueError:
            call.params = None
        return call

    form = None
    if "x-www-form-urlencoded" in content_type:
        form = _parse_form(body)
    elif method == "GET" and "Action" in query:
        form = query
    if form is not None and "Action" in form:
        call.protocol = "query"
        call.operation = form["Action"]
        call.params = form
        call.service = call.service or QUERY_VERSIONS.get(
            form.get("Version", ""), "")
        return call

    if call.service == "s3" or not call.service:
        call.operation = _s3_operation(method, split.path, query)
    return call


def token_digest(token):
    """Return a short SHA-256 prefix of a session token for the log."""
    if not token:
        return None
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def http_date(offset=0.0):
    """Return the current time, shifted by offset seconds, as HTTP date."""
    return formatdate(time.time() + offset, usegmt=True)


def reason_phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def error_reply(call, status, code, message):
    """Build an error reply in the protocol of the call."""
    request_id = str(uuid.uuid4())
    if call.protocol == "json":
        reply = Reply(status, [
            ("Content-Type", f"application/x-amz-json-{call.json_version}"),
            ("x-amzn-RequestId", request_id),
            ("X-Amzn-ErrorType", code),
        ])
        reply.set_json({"__type": code, "message": message})
        return reply

    if call.protocol == "query":
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    return Reply(status, [
        ("Content-Type", "text/xml"),
        ("x-amzn-RequestId", request_id),
    ], body.encode())


# Default error codes for injected statuses. Throttling codes differ by
# protocol: JSON services use ThrottlingException, query services
# Throttling, and S3 returns 503 SlowDown.
def throttle_error(call):
    if call.protocol == "json":
        return 400, "ThrottlingException", "Rate exceeded"
    if call.protocol == "query":
        return 400, "Throttling", "Rate exceeded"
    return 503, "SlowDown", "Please reduce your request rate."


def status_error(status):
    if status == 503:
        return "ServiceUnavailable", "Service is unavailable."
    if status >= 500:
        return ("InternalFailure",
                "The request processing has failed because of an unknown "
                "error, exception or failure.")
    if status == 403:
        return "AccessDeniedException", "Access denied."
    if status == 429:
        return "TooManyRequestsException", "Too many requests."
    return "ClientException", "Injected client error."


def xml_error_code(body):
    """Return (code, message) from an XML error body, or None."""
    text = body.decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]*)</Code>", text)
    if not code:
        return None
    message = re.search(r"<Message>([^<]*)</Message>", text)
    return code.group(1), message.group(1) if message else ""
