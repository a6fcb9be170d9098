"""Security headers on every answer of the app, and Secure cookies when it is served over HTTPS.

Sent by the app itself rather than left to nginx: a county may put the app behind any proxy, or
none, and the pages must be safe either way. A plain ASGI middleware (no per-request task or
body copy): it is on the check-out path.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages load their one stylesheet and one script from /static; nothing inline, nothing from
# another host (a county intranet often has no internet, and an injected inline script must not
# run). frame-ancestors and X-Frame-Options: no other site may frame the desk to trick a click.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

_FIXED = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Searches are in the OPAC's URLs; no other site learns them from a link followed.
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the headers above (a route that set its own Content-Security-Policy keeps it) and,
    for a request that came over HTTPS, marks every cookie Secure. The scheme is the one uvicorn
    took from X-Forwarded-Proto of a trusted proxy (`ils serve --forwarded-allow-ips`)."""

    def __init__(self, app: ASGIApp, *, policy: str = PAGE_POLICY) -> None:
        self.app = app
        self.policy = policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.policy))
                headers.extend(h for h in _FIXED if h[0] not in names)
                if https:
                    headers = [(name, _secure(value)) if name.lower() == b"set-cookie" else (name, value)
                               for name, value in headers]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"
