"""The local stack: template.yaml's tables and functions on an embedded moto server, with no Docker and no
AWS account. `python -m infra.local` (or `make run`) starts it."""
