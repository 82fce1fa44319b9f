"""What a line's D2 figures are computed from, read only, for its after-action report: the items of its partition
in D2Table that the figures count (enquiries, sought persons, links, matches, callbacks), each with only the
fields they read, never a name or a phone number; once the purge has erased them, the figures it archived
(`FIGURES` in D2ArchiveTable). `d2.figures.of_activation` computes from either, as the D2 figures endpoint does."""

from __future__ import annotations

from typing import Any, Final

from crisisline import dynamo

# The sort key prefixes `d2.figures.compute` counts, and the fields it reads of them (`status` is a reserved word).
COUNTED: Final = ("ENQ#", "PERSON#", "LINK#", "MATCH#", "CALLBACK#")
FIELDS: Final = "sk, id, person_id, other_person_id, recorded_at, #status, kind, done_at, enquiry_id"


class D2FiguresStore:
    """D2Table and D2ArchiveTable, read only (see template.yaml)."""

    def __init__(self, dynamodb: Any, *, d2_table: str, d2_archive_table: str) -> None:
        self.ddb = dynamodb
        self.d2_table = d2_table
        self.d2_archive_table = d2_archive_table

    def partition(self, activation_id: str) -> list[dict[str, Any]]:
        """The activation's D2 items the figures count, with only the fields they read; a list's rows and their
        scored candidates, the bulk of a partition, are not read."""
        return [
            item
            for prefix in COUNTED
            for item in dynamo.pages(
                self.ddb,
                "query",
                TableName=self.d2_table,
                ConsistentRead=True,
                KeyConditionExpression="activation_id = :a AND begins_with(sk, :p)",
                ProjectionExpression=FIELDS,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":a": dynamo.to_value(activation_id), ":p": dynamo.to_value(prefix)},
            )
        ]

    def archived(self, activation_id: str, key: str) -> dict[str, Any] | None:
        """An archive item of the activation (`FIGURES`: the figures the purge kept), or None."""
        return dynamo.get(self.ddb, self.d2_archive_table, {"activation_id": activation_id, "sk": key}, consistent=True)
