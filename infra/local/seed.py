"""What the local stack (and the tests) put into a fresh backend: the template's tables, the token hashing
key in SSM, an admin credential, and for the demo one enrolled authority and a few pool numbers."""

from __future__ import annotations

import os
import secrets
import uuid
from typing import Any

from crisisline import settings, tokens
from crisisline.aws import client
from crisisline.clock import iso, utc_now
from crisisline.dynamo import to_item
from crisisline.models import AuthorityIn, Caller, NumberIn
from infra.local import template

DEMO_AUTHORITY = {
    "id": "21004",
    "name": "Ville de Bruxelles / Stad Brussel",
    "languages": ["fr", "nl", "en"],
    "agreement": {"reference": "NCCN-2026-0001", "signed_on": "2026-01-15"},
    "billing": {"reference": "BXL-FIN-7", "email": "finance@bruxelles.example"},
}
DEMO_NUMBERS = [("+3280012345", "toll_free"), ("+3280012346", "toll_free"), ("+3225551001", "did")]
SEED_CALLER = Caller(role="admin", credential_id="local-seed")


def provision(token_key: str | None = None) -> None:
    """Tables, buckets and the hashing key parameter, on whatever backend boto3 points at."""
    template.create_tables(client("dynamodb"))
    template.create_buckets(client("s3"))
    template.create_topics(client("sns"))
    client("ssm").put_parameter(
        Name=settings.api().token_key_parameter,
        Type="SecureString",
        Overwrite=True,
        Value=token_key or os.environ.get("CRISISLINE_TOKEN_KEY") or secrets.token_hex(32),
    )
    tokens.forget_key()
    erasure_key()


def erasure_key() -> None:
    """The asymmetric key that signs the D2 purge's erasure records, under the template's alias."""
    kms = client("kms")
    alias = template.parameter_defaults()["D2ErasureKeyAliasName"]
    if any(found["AliasName"] == alias for found in kms.list_aliases().get("Aliases", [])):
        return
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="crisisline D2 erasure records")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])


def admin_credential(token: str | None = None, label: str = "local stack admin") -> str:
    """Store an admin credential (the given token, or a new one) and return its token."""
    token = token or tokens.new_token()
    key = tokens.hashing_key(settings.api().token_key_parameter)
    item: dict[str, Any] = {
        "token_hash": tokens.token_hash(token, key),
        "credential_id": f"admin-{uuid.uuid4().hex[:8]}",
        "role": "admin",
        "label": label,
        "created_at": iso(utc_now()),
    }
    client("dynamodb").put_item(TableName=settings.api().credentials_table, Item=to_item(item))
    return token


def demo() -> dict[str, Any]:
    """Enrol the demo authority and add the demo pool numbers through the same logic the API runs."""
    from activate import logic

    store = logic.default_store()
    key = tokens.hashing_key(settings.api().token_key_parameter)
    authority = logic.enrol_authority(SEED_CALLER, AuthorityIn.model_validate(DEMO_AUTHORITY), store, key)
    for number, kind in DEMO_NUMBERS:
        logic.add_number(SEED_CALLER, NumberIn(number=number, kind=kind), store)  # type: ignore[arg-type]
    return {
        "authority_id": authority["id"],
        "authority_token": authority["token"],
        "numbers": [number for number, _ in DEMO_NUMBERS],
    }
