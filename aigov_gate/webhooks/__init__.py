"""Governance events to webhook receivers: signed per Standard Webhooks, queued durably.

- ``events``: what is sent (``{"event", "type", "timestamp", "data"}``) and its webhook-id.
- ``signing``: ``whsec_`` secrets and ``webhook-signature`` headers.
- ``outbox``: the SQLite outbox every event is written to before any attempt.
- ``safety``: which urls may be called, and how they are shown (never with secrets).
- ``delivery``: attempts, timeouts, backoff, Retry-After, 410, bounded concurrency.

See docs/webhooks.md. ``requests`` is imported only when something is sent.
"""
