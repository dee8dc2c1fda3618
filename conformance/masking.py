"""Masking of secrets: every URI and free text a run shows or stores goes through here, so a
password, token or signed URL never reaches a document, a report, a log or the terminal."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_QUERY_KEY = re.compile(r"token|secret|password|passwd|pwd|key|sig|credential", re.I)


def mask_uri(uri: str) -> str:
    """Hide passwords in the authority and secret-looking query values."""
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = any(_SECRET_QUERY_KEY.search(key) for key, _ in pairs)
    if netloc == parts.netloc and not secret:
        return uri  # rebuilding would turn sqlite:////abs/path into sqlite://abs/path
    query = urlencode(
        [(key, "***" if _SECRET_QUERY_KEY.search(key) else value) for key, value in pairs],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_USER_AND_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^@/\s]+@")
_USER_ONLY = re.compile(r"://[^/\s:@]+@")
# `Authorization: Basic xyz`, `'Authorization': 'token xyz'` (a headers dict's repr), `Bearer xyz`.
_AUTHORIZATION = re.compile(
    r"""(authorization["']?\s*[:=]\s*["']?)(?:(basic|bearer|digest|token)\s+)?[^\r\n"']+""",
    re.I,
)
_BEARER = re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=-]+", re.I)
_SECRET_QUERY_VALUE = re.compile(
    rf"([?&][^=&#\s]*(?:{_SECRET_QUERY_KEY.pattern})[^=&#\s]*=)[^&#\s\"'<>]+", re.I
)
_SECRET_VARIABLES = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD")


def _mask_authorization(match: re.Match[str]) -> str:
    scheme = f"{match.group(2)} " if match.group(2) else ""
    return f"{match.group(1)}{scheme}***"


def mask_text(text: str) -> str:
    """Mask credentials in free text (exception messages, tracebacks, HTTP exchanges): URI
    userinfo, secret-looking query values, Authorization headers, bearer tokens, and the values
    of MLflow's secret variables."""
    text = _USER_ONLY.sub("://***@", _USER_AND_PASSWORD.sub(r"\1***@", text))
    text = _SECRET_QUERY_VALUE.sub(r"\1***", text)
    text = _BEARER.sub(r"\1***", _AUTHORIZATION.sub(_mask_authorization, text))
    for variable in _SECRET_VARIABLES:
        secret = os.environ.get(variable)
        if secret:
            text = text.replace(secret, "***")
    return text
