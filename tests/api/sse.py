"""A small Server-Sent Events reader for the tests (the wire format, parsed by hand)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx


def iter_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event name, data) for each event of a streaming response; comments are skipped."""
    name, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield name, "\n".join(data)
