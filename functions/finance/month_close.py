"""Month close: EventBridge Scheduler calls this on the 1st of each month at 06:00 Brussels time, and it
freezes the month before (see finance.billing.freeze_month). Running it again is harmless; `{"month":
"YYYY-MM"}` freezes a given past month, e.g. by hand after an outage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from crisisline.clock import utc_now
from crisisline.months import month_of, previous_month
from crisisline.observability import count_event, count_failure, logger, publish_failures
from finance import billing
from finance.billing_store import BillingStore, export_settings

export_settings()  # fail the cold start when the environment is incomplete


@logger.inject_lambda_context(log_event=False)
def lambda_handler(
    event: dict[str, Any] | None, context: LambdaContext, store: BillingStore | None = None, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utc_now()
    month = (event or {}).get("month") or previous_month(month_of(now))
    try:
        result = billing.freeze_month(str(month), store or BillingStore(), now)
        # Counted on every success, a rerun's too: the alarm pages when none came by 08:00 on the 1st.
        count_event("MonthsClosed")
    except Exception:
        # The scheduler invokes it again (its retry policy); until a run succeeds, the month has no frozen export.
        logger.exception("month close failed", extra={"month": month})
        count_failure("MonthCloseFailures")
        raise
    finally:
        publish_failures()
    logger.info("month closed", extra={"month": month, "frozen_now": result["frozen_now"]})
    return result
