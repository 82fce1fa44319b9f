"""The reliability and security proof (`make reliability`): fuzzing, properties, races, faults, the access
matrix, secrets in logs, and the template scan. Each part records one figure line; CI runs them at small
sizes inside `make test`, `make reliability` at full size."""
