"""Recorded HTTP exchanges as a reader sees them: JSON bodies indented, the answer under its
request. The recording (``conformance.run.http_exchanges``) stores bodies this way too."""

from __future__ import annotations

import json
from typing import Any


def readable_body(text: str) -> str:
    """A JSON object or array indented by two spaces (MLflow sends and answers one line); any
    other text, and JSON already clipped, as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, (dict, list)):
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def exchange_text(exchange: dict[str, Any]) -> str:
    """One recorded exchange as a reader sees it: the request and its body, then the answer
    (status, content type and body) or the error that stood for one."""
    # Read leniently: documents may come from older versions or other tools.
    lines = [str(exchange.get("request", ""))]
    if exchange.get("request_body"):
        lines.append(readable_body(str(exchange["request_body"])))
    if "error" in exchange:
        lines.append(f"→ {exchange['error']}")
    elif "status" in exchange:
        lines.append(f"→ {exchange['status']} {exchange.get('content_type', '')}".rstrip())
        if exchange.get("response_body"):
            lines.append(readable_body(str(exchange["response_body"])))
    return "\n".join(lines)
