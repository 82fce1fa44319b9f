"""The web console (`console/`), served by the local stack at /console/ as a static host would serve it: files of
the folder only, each with its content type and the console's security headers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from infra import web_headers

FOLDER = Path(__file__).resolve().parents[2] / "console"
PREFIX = "/console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CONTENT_SECURITY_POLICY = web_headers.CONTENT_SECURITY_POLICY
# The deployed site's headers (CloudFront adds them: infra/web_headers.py), and files read afresh after each edit.
SECURITY_HEADERS = {**web_headers.SECURITY_HEADERS, "Cache-Control": "no-cache"}


def wants(raw_path: str) -> bool:
    """Whether a request's path is the console's (everything else is the API's)."""
    path = urlsplit(raw_path).path
    return path == PREFIX or path.startswith(PREFIX + "/")


def answer(method: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for a request under /console: a file of the folder, or 404/405."""
    if method != "GET":
        return _text(405, "Method not allowed.", {"Allow": "GET"})
    path = unquote(urlsplit(raw_path).path)
    if path == PREFIX:
        return 301, {**SECURITY_HEADERS, "Location": PREFIX + "/"}, b""
    relative = path[len(PREFIX) + 1 :] or "index.html"
    if relative.endswith("/"):
        relative += "index.html"
    target = (FOLDER / relative).resolve()
    # Nothing outside the folder (`..`, encoded or not, absolute parts, links), and only known kinds of file.
    if (
        "\x00" in relative
        or not target.is_relative_to(FOLDER)
        or not target.is_file()
        or target.suffix not in CONTENT_TYPES
    ):
        return _text(404, "Not found.")
    return 200, {**SECURITY_HEADERS, "Content-Type": CONTENT_TYPES[target.suffix]}, target.read_bytes()


def _text(status: int, text: str, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {**SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8", **(extra or {})}, text.encode()
