"""Webhooks: notifications POSTed to a URL, signed in the Standard Webhooks format.

Part of `statewright.runtime.store`. A signed request carries three headers
(https://www.standardwebhooks.com):

- `webhook-id`: the CloudEvent's `id`, the same on every retry (receivers deduplicate on it);
- `webhook-timestamp`: Unix seconds when it was sent (receivers refuse old ones: replays);
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret,
  separated by spaces, so that a receiver holding either the old or the new secret accepts
  the request while a secret is rotated.

Secrets are `whsec_<base64 key>` (`new_webhook_secret()`), as every Standard Webhooks library
reads them, so a receiver in any language verifies with an existing library. The older
`Statewright-Signature: t=<unix time>,v1=<hex>` header is sent beside them for one release
(`sign`, `verify_signature`); it is deprecated.

Proxies come from the environment as for other HTTP clients: `HTTPS_PROXY` / `HTTP_PROXY`
(`https_proxy`, ...), with `NO_PROXY` for hosts reached directly; read when the sink is made.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import StoreError

#: the prefix of a Standard Webhooks secret
SECRET_PREFIX = "whsec_"

#: what a receiver accepts by default: a signature at most this many seconds from now
TOLERANCE = 300.0

Secret = str | bytes


def new_webhook_secret() -> str:
    """A new random secret, `whsec_` and 24 bytes in base64 (give it to the receiver too)."""
    import secrets

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_keys(secret: Secret | Sequence[Secret] | None) -> tuple[bytes, ...]:
    """The HMAC keys of one secret or several (a rotation: the new one first, say).

    A `whsec_` secret is its base64 key (as Standard Webhooks libraries read it); bytes are
    the key itself. A plain text secret (the older form) is its UTF-8 bytes, with a
    `DeprecationWarning`: a Standard Webhooks library would read it as base64, not as text.
    A secret that is empty or not base64 after `whsec_` is refused (`StoreError`)."""
    if secret is None:
        return ()
    given = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not given:
        raise StoreError("a webhook needs at least one secret, or none (secret=None)")
    keys = []
    for one in given:
        if isinstance(one, bytes):
            key = one
        elif isinstance(one, str) and one.startswith(SECRET_PREFIX):
            encoded = one[len(SECRET_PREFIX) :]
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise StoreError("a whsec_ webhook secret must be base64 after `whsec_`") from None
        elif isinstance(one, str):
            warnings.warn(
                "a plain text webhook secret is deprecated: use a whsec_ secret "
                "(statewright.runtime.store.new_webhook_secret()), which receivers' Standard "
                "Webhooks libraries read",
                DeprecationWarning,
                stacklevel=3,
            )
            key = one.encode()
        else:
            raise StoreError(f"a webhook secret is text or bytes, not {type(one).__name__}")
        if not key:
            raise StoreError("a webhook secret may not be empty")
        keys.append(key)
    return tuple(keys)


def sign_webhook(
    body: bytes, message_id: str, timestamp: int, secret: Secret | Sequence[Secret]
) -> str:
    """The `webhook-signature` header for a body: `v1,<base64>` per secret, space-separated."""
    to_sign = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()
        for key in webhook_keys(secret)
    )


def verify_webhook(
    body: bytes,
    headers: Mapping[str, str],
    secret: Secret | Sequence[Secret],
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> bool:
    """For a receiver: whether the Standard Webhooks headers sign `body` with the secret (or
    one of several), within `tolerance` seconds of now. Header names in any case."""
    found = {name.lower(): value for name, value in headers.items()}
    message_id = found.get("webhook-id")
    stamp = found.get("webhook-timestamp", "")
    given = found.get("webhook-signature")
    if not message_id or not given or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    expected = sign_webhook(body, message_id, int(stamp), secret).split(" ")
    return any(
        hmac.compare_digest(want.encode(), got.encode())
        for got in given.split(" ")
        for want in expected
    )


def sign(body: bytes, secret: Secret | Sequence[Secret], *, now: float | None = None) -> str:
    """Deprecated (one release): the `Statewright-Signature` of a body, `t=<unix time>,v1=<hex
    HMAC-SHA256 of "<t>.<body>">`, one `v1=` per secret."""
    return _old_header(body, _old_keys(secret), int(time.time() if now is None else now))


def _old_header(body: bytes, keys: Sequence[bytes], stamp: int) -> str:
    """`sign` with the keys read already (a sink signs every delivery with the same keys)."""
    to_sign = f"{stamp}.".encode() + body
    digests = [hmac.new(key, to_sign, hashlib.sha256).hexdigest() for key in keys]
    return ",".join([f"t={stamp}", *(f"v1={digest}" for digest in digests)])


def verify_signature(
    body: bytes,
    header: str | None,
    secret: Secret | Sequence[Secret],
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Deprecated (one release; see `verify_webhook`): whether `header` (the
    `Statewright-Signature` value) signs `body` with the secret, within `tolerance` seconds of
    now. Every `v1=` counts (several during a rotation)."""
    if not header:
        return False
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for name, value in parts if name == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    stamp = int(stamps[0])
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    expected = sign(body, secret, now=stamp).split(",")[1:]
    given = [f"v1={value}" for name, value in parts if name == "v1"]
    return any(hmac.compare_digest(w.encode(), g.encode()) for g in given for w in expected)


def _old_keys(secret: Secret | Sequence[Secret]) -> tuple[bytes, ...]:
    """The older header's keys, read as `webhook_keys` reads them, without its warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return webhook_keys(secret)


class WebhookSink:
    """POSTs each notification as `application/cloudevents+json` (structured mode), from the
    store's background thread, the relay or the worker, never inside `send`. A non-2xx answer
    or a network error stops delivery; it is tried again with a backoff, and after
    `deliverer.DEAD_LETTER_AFTER` tries the refused record goes to the dead letters.

    Args:
        url: http(s) URL.
        timeout: seconds to connect, and to wait for the answer.
        headers: more request headers (`{"Authorization": "Bearer ..."}`).
        secret: a `whsec_` secret, or several while one is rotated: each request is signed in
            the Standard Webhooks format (the module docstring), and with the deprecated
            `Statewright-Signature` header for one release.
    The connection is kept open between deliveries (HTTP/1.1 keep-alive) and opened again
    when the server closed it. A proxy is taken from the environment (`HTTPS_PROXY`,
    `HTTP_PROXY`, `NO_PROXY`) when the sink is made."""

    SIGNATURE_HEADER = "Statewright-Signature"
    #: a network sink: delivered by a background thread, the relay or the worker, never
    #: inside `send` (`deliverer`)
    remote = True

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        secret: Secret | Sequence[Secret] | None = None,
    ) -> None:
        from urllib.parse import urlsplit

        if not url.startswith(("http://", "https://")):
            raise StoreError(f"a webhook needs an http(s) URL, not {url!r}")
        for key, value in (headers or {}).items():
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", key) or re.search(r"[\r\n]", value):
                raise StoreError(f"a webhook header must be one line with a token name: {key!r}")
        self.url, self.timeout = url, timeout
        self.name = name or "webhook-" + re.sub(r"[^A-Za-z0-9._-]", "_", url)[:80]
        self.headers = dict(headers or {})
        self.keys = webhook_keys(secret)
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._proxy = _proxy_for(parts.scheme, self._host)
        if self._proxy is not None and not self._https:  # a plain proxy takes the whole URL
            self._path = url
        self._connection: Any = None
        self._lock = threading.Lock()

    def deliver(self, event: dict[str, Any]) -> None:
        import json

        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "User-Agent": "statewright",
            **self.headers,
        }
        if self.keys:
            now = int(time.time())
            message_id = str(event.get("id", ""))
            headers["webhook-id"] = message_id
            headers["webhook-timestamp"] = str(now)
            headers["webhook-signature"] = sign_webhook(body, message_id, now, self.keys)
            headers[self.SIGNATURE_HEADER] = _old_header(body, self.keys, now)
        if self._proxy is not None and not self._https and self._proxy[2]:
            headers["Proxy-Authorization"] = self._proxy[2]
        with self._lock:
            for attempt in (1, 2):  # a kept connection the server closed: once more, anew
                connection = self._connect()
                try:
                    connection.request("POST", self._path, body=body, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                except OSError as error:
                    self._close()
                    if attempt == 2 or not _stale_connection(error):
                        raise StoreError(f"webhook {self.url}: {error}") from None
                    continue
                except Exception as error:  # http.client's protocol errors
                    self._close()
                    if attempt == 2:
                        raise StoreError(f"webhook {self.url}: {error}") from None
                    continue
                if answer.getheader("Connection", "").lower() == "close":
                    self._close()
                if not 200 <= answer.status < 300:
                    raise StoreError(f"webhook {self.url} answered {answer.status}")
                return

    def _connect(self) -> Any:
        import http.client

        if self._connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            if self._proxy is None:
                self._connection = kind(self._host, self._port, timeout=self.timeout)
            else:
                host, port, authorization = self._proxy
                self._connection = kind(host, port, timeout=self.timeout)
                if self._https:  # a tunnel through the proxy (CONNECT), TLS to the target
                    tunnel = {"Proxy-Authorization": authorization} if authorization else None
                    self._connection.set_tunnel(self._host, self._port or 443, headers=tunnel)
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    def close(self) -> None:
        """Close the kept connection (a store closes its sinks when it is closed)."""
        with self._lock:
            self._close()

    def __del__(self) -> None:
        connection, self._connection = getattr(self, "_connection", None), None
        if connection is not None:
            connection.close()


def _proxy_for(scheme: str, host: str) -> tuple[str, int, str] | None:
    """The proxy the environment names for a URL's scheme, unless `NO_PROXY` covers the host:
    (host, port, a `Proxy-Authorization` value or "")."""
    from urllib import request
    from urllib.parse import unquote, urlsplit

    proxies = request.getproxies_environment()
    proxy = proxies.get(scheme)
    # NO_PROXY as urllib reads it (in the standard library, not in typeshed's stubs)
    bypass = request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxy or bypass(host, proxies):
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.scheme != "http" or not parts.hostname:
        raise StoreError(f"the {scheme} proxy must be an http:// URL, not {proxy!r}")
    authorization = ""
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    return parts.hostname, parts.port or 80, authorization


def _stale_connection(error: OSError) -> bool:
    import errno

    return isinstance(error, ConnectionError) or error.errno in (errno.EPIPE, errno.ECONNRESET)
