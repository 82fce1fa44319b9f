"""Deploy time only: claims the pool's phone numbers on the Connect instance and points each at the entry flow
(a CloudFormation custom resource). Nothing here runs on a citizen's call."""
