"""The security headers of every page the site serves (the console and the public status pages): CloudFront
adds them in front of the deployed site (template.yaml, `WebSecurityHeaders`), the local stack sends them with
what it serves from the bucket. Written once here; tests/test_web.py checks that the template's policy says the
same."""

from __future__ import annotations

# No inline script or style, nothing from another origin, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS_SECONDS = 63_072_000  # two years, subdomains included

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": f"max-age={HSTS_SECONDS}; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
