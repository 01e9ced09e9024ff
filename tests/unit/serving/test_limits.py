"""Bounds on a request's body: its size and media type, checked before it is parsed."""

from __future__ import annotations

import asyncio

import httpx

from leadscore.serving.limits import RequestLimitsMiddleware, replaying

MAX_BODY = 100


def _app(seen: list[bytes]):
    async def echo(scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok:" + body})

    return RequestLimitsMiddleware(echo, max_body=MAX_BODY, json_paths=("/score",))


def _send(method: str, path: str, seen: list[bytes], **kwargs) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(seen))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def test_a_body_within_the_bound_is_handed_on_whole() -> None:
    seen: list[bytes] = []
    body = b'{"leads": [' + b"1," * 40 + b"1]}"
    assert len(body) <= MAX_BODY
    response = _send(
        "POST", "/score", seen, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert seen == [body]


def test_a_body_over_the_bound_is_refused_with_413_before_the_app_sees_it() -> None:
    seen: list[bytes] = []
    response = _send(
        "POST",
        "/score",
        seen,
        content=b"x" * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than 100 bytes" in response.json()["error"]
    assert response.headers["connection"] == "close"
    assert seen == []


def test_a_streamed_body_without_a_length_is_refused_once_it_passes_the_bound() -> None:
    seen: list[bytes] = []

    async def chunks():
        for _ in range(5):
            yield b"x" * 30

    response = _send("POST", "/other", seen, content=chunks())
    assert response.status_code == 413
    assert seen == []


def test_a_body_of_another_media_type_on_a_json_path_is_refused_with_415() -> None:
    seen: list[bytes] = []
    response = _send("POST", "/score", seen, content=b"a,b", headers={"content-type": "text/csv"})
    assert response.status_code == 415
    assert "text/csv" in response.json()["error"]
    assert seen == []


def test_json_with_parameters_or_in_capitals_is_accepted() -> None:
    seen: list[bytes] = []
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    assert _send("POST", "/score", seen, content=b"{}", headers=headers).status_code == 200
    assert seen == [b"{}"]


def test_other_paths_take_any_media_type_and_reads_are_not_bounded() -> None:
    seen: list[bytes] = []
    assert (
        _send(
            "POST", "/upload", seen, content=b"a,b", headers={"content-type": "text/csv"}
        ).status_code
        == 200
    )
    assert _send("GET", "/score", seen).status_code == 200
    assert seen == [b"a,b", b""]


def test_a_replayed_body_comes_first_then_what_the_client_sends_after() -> None:
    later = [{"type": "http.disconnect"}]

    async def receive() -> dict:
        return later.pop(0)

    async def go() -> list[dict]:
        replay = replaying(b"read already", receive)
        return [await replay(), await replay()]

    first, second = asyncio.run(go())
    assert first == {"type": "http.request", "body": b"read already", "more_body": False}
    assert second == {"type": "http.disconnect"}
