"""Problems in the caller's language: Chinese `title` and `detail` for `Accept-Language: zh-CN`,
English otherwise, the `type` the same either way; and a translation for every problem type the
code can answer with."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.common.api.middleware import install_edge_middleware
from services.common.api.problem_texts import ZH_CN, wants_chinese
from services.common.api.problems import install_problem_handlers
from services.common.components import GATEWAY, SERVICES
from services.common.errors import DomainError, NotFound
from services.members.tiers.errors import TierFull
from tests.support import assert_problem


class Thing(BaseModel):
    name: str
    size: int


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    install_edge_middleware(app, max_body_bytes=1000)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("There is no such thing.")

    @app.get("/full")
    async def full() -> None:
        raise TierFull("gold", capacity=20)

    @app.post("/things")
    async def make(thing: Thing) -> Thing:
        return thing

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


ZH = {"Accept-Language": "zh-CN"}


async def test_problems_are_in_chinese_when_asked_and_english_otherwise(
    client: httpx.AsyncClient,
) -> None:
    english = assert_problem(await client.get("/full"), 409)
    chinese = assert_problem(await client.get("/full", headers=ZH), 409)
    assert english["type"] == chinese["type"] == "https://huoli.dev/problems/tier-full"
    assert english["title"] == "State conflict"
    assert english["detail"].startswith("Tier 'gold' is full")
    assert (chinese["title"], chinese["detail"]) == ("等级已满", "等级 gold 已满（上限 20 人）。")
    assert chinese["capacity"] == english["capacity"] == 20
    response = await client.get("/missing", headers=ZH)
    assert response.headers["content-language"] == "zh-CN"
    assert assert_problem(response, 404)["title"] == "未找到"
    assert "content-language" not in (await client.get("/missing")).headers


async def test_every_kind_of_answer_is_translated(client: httpx.AsyncClient) -> None:
    invalid = assert_problem(await client.post("/things", json={"size": "x"}, headers=ZH), 422)
    assert invalid["type"].endswith("/validation-error")
    assert invalid["title"] == "校验失败"
    assert invalid["detail"] == "以下字段无效或缺失：body.name, body.size"
    assert [err["loc"] for err in invalid["errors"]] == [["body", "name"], ["body", "size"]]
    unreadable = await client.post(
        "/things", content=b'{"name": ', headers={**ZH, "content-type": "application/json"}
    )
    assert assert_problem(unreadable, 400)["title"] == "JSON 格式错误"
    unknown = assert_problem(await client.get("/nowhere", headers=ZH), 404)
    assert (unknown["type"], unknown["title"]) == ("https://huoli.dev/problems/http-404", "未找到")
    crashed = assert_problem(await client.get("/boom", headers=ZH), 500)
    assert crashed["title"] == "内部错误"
    too_big = await client.post(
        "/things", content=b"x" * 2000, headers={**ZH, "content-type": "application/json"}
    )
    assert assert_problem(too_big, 413)["title"] == "请求体过大"


@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        ("zh-CN", True),
        ("zh", True),
        ("zh-Hans-CN, en;q=0.8", True),
        ("en-US,zh-CN;q=0.9", False),
        ("en;q=0.5, zh-TW;q=0.9", True),
        ("zh-CN;q=0", False),
        ("fr", False),
        ("", False),
        (None, False),
        ("zh-CN;q=abc", False),
    ],
)
def test_the_preferred_language_decides(header: str | None, chinese: bool) -> None:
    assert wants_chinese(header) is chinese


def _domain_errors() -> set[str]:
    for component in (*SERVICES, GATEWAY):
        component.load_app_factory()  # imports every feature, and so every error class
    found: set[str] = set()
    pending = [DomainError]
    while pending:
        error = pending.pop()
        found.add(error.slug)
        pending.extend(error.__subclasses__())
    return found


def test_every_problem_type_has_its_chinese_words() -> None:
    # Beside the domain errors, the types the web edge and the gateway's proxy answer with.
    answered = _domain_errors() | {
        "validation-error",
        "internal-error",
        "bad-gateway",
        "gateway-timeout",
        "service-unavailable",
    }
    assert len(answered) > 60
    assert answered <= set(ZH_CN), sorted(answered - set(ZH_CN))
    for slug, text in ZH_CN.items():
        assert text.title and text.detail, slug
        assert not text.title.isascii(), slug
