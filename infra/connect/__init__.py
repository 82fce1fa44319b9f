"""The Amazon Connect side of crisisline: the contact flows (`*.json` here, the one source), their checker, the
build step that puts them into template.yaml, and a caller simulator that plays a flow against the local stack."""
