"""Publishes authorities' public pages (crisisline.status_page) to the status bucket, from which CloudFront
serves them: readers cost no Lambda and no DynamoDB read. The only code that speaks S3 for these pages.

A page that cannot be published never fails nor undoes the authority's change: it is counted
(`StatusPageFailures`) and logged, and the next change publishes the page again."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config

from crisisline import settings, status_page
from crisisline.clock import utc_now
from crisisline.observability import count_failure, logger

# Shorter than the API's DynamoDB timeouts: the authority waits for this only after its change is written.
_S3_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})


class StatusPages:
    """The status bucket: one page per authority and the stylesheet they share."""

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self.s3 = s3 or _new_client()
        self.stylesheet_written = False

    def put_page(self, authority_id: str, html: str) -> None:
        """The authority's page; first, once per execution environment, the stylesheet, so that a page never
        links one that is not there and a deploy's change of it is out with the first page written after."""
        if not self.stylesheet_written:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=status_page.STYLESHEET_KEY,
                Body=status_page.STYLESHEET.encode(),
                ContentType=status_page.STYLESHEET_CONTENT_TYPE,
                CacheControl=status_page.STYLESHEET_CACHE_CONTROL,
            )
            self.stylesheet_written = True
        self.s3.put_object(
            Bucket=self.bucket,
            Key=status_page.page_key(authority_id),
            Body=html.encode(),
            ContentType=status_page.PAGE_CONTENT_TYPE,
            CacheControl=status_page.PAGE_CACHE_CONTROL,
        )


def _new_client() -> Any:
    import boto3

    return boto3.client("s3", config=_S3_CONFIG)


@cache
def default_status_pages() -> StatusPages:
    """The status bucket of this function's settings, with its client, made on first use."""
    return StatusPages(settings.api().status_bucket)


def forget_client() -> None:
    """Drop the bucket's client made on first use, and what it wrote (tests and the local stack switch
    backends)."""
    default_status_pages.cache_clear()


def publish(authority_id: str, authority_name: str | None, line: dict[str, Any] | None) -> bool:
    """Render and publish the authority's page: `line` its live activation, or None for "no crisis line is
    open". Never raises; False when the page could not be published (counted and logged, without the message
    or any number)."""
    try:
        html = status_page.render(authority_id, authority_name, line, utc_now())
        default_status_pages().put_page(authority_id, html)
    except Exception as error:  # noqa: BLE001 - the authority's change is made; only its public copy failed
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        logger.warning(
            "status page not published",
            extra={"authority_id": authority_id, "error": type(error).__name__, "error_code": code},
        )
        count_failure("StatusPageFailures")
        return False
    return True


def published(activation: dict[str, Any]) -> dict[str, Any]:
    """The activation, once its authority's page says what it now is (live, or no line open). For the logic's
    answers after a change was written: `return published(activation)`."""
    live = activation if activation.get("status") == "live" else None
    publish(str(activation["authority_id"]), activation.get("authority_name"), live)
    return activation
