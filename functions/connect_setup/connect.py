"""The few Amazon Connect calls the pool needs, behind one small adapter so the logic can be tested with an
in-memory fake (moto implements only Connect's instance calls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ClaimedNumber:
    id: str
    number: str
    description: str
    arn: str = ""
    number_type: str = ""  # Connect's PhoneNumberType: TOLL_FREE, DID, ...


class ConnectNumbers(Protocol):
    def claimed(self, instance_arn: str) -> list[ClaimedNumber]:
        """Every phone number claimed to the instance."""
        ...

    def available(self, instance_arn: str, country: str, number_type: str, count: int) -> list[str]:
        """Up to `count` numbers that could be claimed."""
        ...

    def claim(self, instance_arn: str, number: str, description: str, client_token: str) -> ClaimedNumber:
        """Ask Connect to claim one number to the instance; the claim completes later (see `status`). The same
        `client_token` twice claims once."""
        ...

    def status(self, number_id: str) -> str:
        """The number's claim status: CLAIMED, IN_PROGRESS or FAILED."""
        ...

    def associate(self, instance_arn: str, number_id: str, flow_arn: str) -> None:
        """Route calls to the number into the flow."""
        ...


def _id(arn: str) -> str:
    """The trailing id of an instance or flow ARN (…/instance/<id>, …/contact-flow/<id>)."""
    return arn.rsplit("/", 1)[-1]


class BotoConnect:
    """ConnectNumbers over boto3."""

    def __init__(self, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("connect")
        self.client = client

    def claimed(self, instance_arn: str) -> list[ClaimedNumber]:
        found, token = [], None
        while True:
            page = self.client.list_phone_numbers_v2(
                TargetArn=instance_arn, MaxResults=100, **({"NextToken": token} if token else {})
            )
            found += [
                ClaimedNumber(
                    item["PhoneNumberId"],
                    item["PhoneNumber"],
                    item.get("PhoneNumberDescription", ""),
                    item.get("PhoneNumberArn", ""),
                    item.get("PhoneNumberType", ""),
                )
                for item in page.get("ListPhoneNumbersSummaryList", [])
            ]
            token = page.get("NextToken")
            if not token:
                return found

    def available(self, instance_arn: str, country: str, number_type: str, count: int) -> list[str]:
        page = self.client.search_available_phone_numbers(
            TargetArn=instance_arn,
            PhoneNumberCountryCode=country,
            PhoneNumberType=number_type,
            MaxResults=min(count, 10),
        )
        return [item["PhoneNumber"] for item in page.get("AvailableNumbersList", [])]

    def claim(self, instance_arn: str, number: str, description: str, client_token: str) -> ClaimedNumber:
        answer = self.client.claim_phone_number(
            TargetArn=instance_arn, PhoneNumber=number, PhoneNumberDescription=description, ClientToken=client_token
        )
        return ClaimedNumber(answer["PhoneNumberId"], number, description, answer.get("PhoneNumberArn", ""))

    def status(self, number_id: str) -> str:
        answer = self.client.describe_phone_number(PhoneNumberId=number_id)
        return str(answer["ClaimedPhoneNumberSummary"].get("PhoneNumberStatus", {}).get("Status", "IN_PROGRESS"))

    def associate(self, instance_arn: str, number_id: str, flow_arn: str) -> None:
        self.client.associate_phone_number_contact_flow(
            PhoneNumberId=number_id, InstanceId=_id(instance_arn), ContactFlowId=_id(flow_arn)
        )
