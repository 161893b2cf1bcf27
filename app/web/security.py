"""Content-Security-Policy for every HTML response the app sends."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.http.routing import API_PREFIX

STRICT_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Adds the strict policy to HTML responses that did not set their own, so a page that
    needs a narrower exception (the API docs) states it next to the reason."""

    def __init__(self, app: ASGIApp, policy: str = STRICT_CSP) -> None:
        self.app = app
        self.policy = policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIX):
            # The API answers JSON, problem+json or CSV, never HTML: no need to inspect them.
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower(): value for name, value in headers}
                is_html = names.get(b"content-type", b"").startswith(b"text/html")
                if is_html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.policy))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
