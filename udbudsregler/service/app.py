"""The HTTP service: decide, settle and explain over HTTP, for hosts not written in Python.

::

    POST /policies/{id}/decide    {"facts": {...}, "on": "2019-02-01", "order": {...},
                                   "suppliers": {...}, "compact": false}
    POST /policies/{id}/settle    {"referral": {...}, "outcomes": [...], "until": "...",
                                   "since": "...", "compact": false}
    POST /policies/{id}/explain   either body, and "language": "da" | "en" | "sv"
    GET  /policies/{id}/schema    the JSON Schemas of the policy's inputs
    GET  /policies                the served policies
    GET  /health                  ok, or degraded when a changed policy fails to load
    GET  /version                 the versions of udbudsregler and the stack
    GET  /openapi.json, /docs     the OpenAPI document, built from the input schemas

A decision or settlement answer is the record ``to_dict()`` gives (it replays with
``ur.replay``). Every error is an RFC 9457 problem details object with the field paths
(:mod:`udbudsregler.service.problems`). Needs the ``serve`` extra (FastAPI, uvicorn).
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import fastapi
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from udbudsregler.diagnostics import FactError, FactProblem, UdbudsreglerError
from udbudsregler.policy import Policy
from udbudsregler.runtime.inputs import read_json, shown_key
from udbudsregler.runtime.records import RECORD_FORMAT
from udbudsregler.service.openapi import add_policies
from udbudsregler.service.problems import MEDIA_TYPE, from_error, pointers, problem
from udbudsregler.service.registry import PolicyRegistry
from udbudsregler.values.limits import valid_text
from udbudsregler.values.wording import LANGUAGES
from udbudsregler.version import __version__

if TYPE_CHECKING:
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.settlement import Settlement

__all__ = ["MAX_BODY", "create_app"]

#: The largest request body accepted, in bytes.
MAX_BODY = 4 * 1024 * 1024

_log = logging.getLogger("udbudsregler.service")

_DECIDE_KEYS = {"facts": True, "on": True, "order": False, "suppliers": False,
                "compact": False}
_SETTLE_KEYS = {"referral": True, "until": True, "outcomes": False, "since": False,
                "compact": False}


class _Problem(Exception):
    """An answer with a problem details body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail"))
        self.status = status
        self.body = body


class _Located(Exception):
    """A FactError of a request with the JSON Pointer of each of its problems into the
    body ``data``: ``facts`` are those of its problems that are the facts' (their paths
    start inside the facts; a fact ``on`` is not the date), the others' start at the body."""

    def __init__(self, error: FactError, data: Any,
                 facts: Sequence[FactProblem] = ()) -> None:
        super().__init__(str(error))
        self.error = error
        self.pointers = pointers(error.problems, data, facts)


def _problem_response(status: int, body: dict[str, Any],
                      headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(_printable(body), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


def _printable(value: Any) -> Any:
    """``value`` with every text holding a lone surrogate written with its escapes
    (``\\ud800``, as messages show one): a problem body is always UTF-8 (a lone surrogate
    made the answer fail, an internal error); other text is left as it is."""
    if isinstance(value, str):
        return value if valid_text(value) else value.encode(
            "utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


async def _body(request: Request) -> dict[str, Any]:
    """The request's JSON body, read exactly (numbers with fractions as Decimals), as a
    mapping; a problem otherwise."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY:
        raise _Problem(413, problem("too-large", 413, f"at most {MAX_BODY:,} bytes",
                                    request.url.path))
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise _Problem(413, problem("too-large", 413, f"at most {MAX_BODY:,} bytes",
                                        request.url.path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Problem(400, problem("not-json", 400, "the body is not UTF-8 text",
                                    request.url.path)) from None
    try:
        data = read_json(text)
    except ValueError as error:  # json.JSONDecodeError
        lineno, colno = getattr(error, "lineno", 0), getattr(error, "colno", 0)
        message = getattr(error, "msg", str(error))
        raise _Problem(400, problem("not-json", 400, f"not valid JSON: {message} (line "
                                    f"{lineno}, column {colno})", request.url.path)
                       ) from None
    if not isinstance(data, dict):
        raise _Located(FactError([FactProblem(
            "UDB602", "", "the body must be a JSON object",
            hint="send {\"facts\": {...}, \"on\": \"YYYY-MM-DD\"}")]), data)
    return data


def _check_keys(data: Mapping[str, Any], keys: Mapping[str, bool]) -> None:
    problems = [FactProblem("UDB601", key, "missing") for key, needed in keys.items()
                if needed and key not in data]
    problems += [FactProblem("UDB606", shown_key(key), "the request has no such key",
                             hint="the keys are " + ", ".join(keys)) for key in data
                 if key not in keys]
    if "compact" in data and not isinstance(data["compact"], bool):
        problems.append(FactProblem("UDB602", "compact", "expected true or false"))
    if problems:
        raise _Located(FactError(problems), data)


def _decision(policy: Policy, data: Mapping[str, Any]) -> Decision:
    try:
        return policy.decide(data["facts"], data["on"], order=data.get("order"),
                             suppliers=data.get("suppliers"))
    except FactError as error:
        # the facts' problems (found again) have paths inside the facts
        raise _Located(error, data, policy.facts.check(data["facts"])[1]) from None


def _settlement(policy: Policy, data: Mapping[str, Any]) -> Settlement:
    try:
        return policy.settle(data["referral"], data.get("outcomes"), until=data["until"],
                             since=data.get("since"))
    except FactError as error:
        raise _Located(error, data) from None


def _decide(policy: Policy, data: Mapping[str, Any]) -> dict[str, Any]:
    return _decision(policy, data).to_dict(compact=bool(data.get("compact", False)))


def _settle(policy: Policy, data: Mapping[str, Any]) -> dict[str, Any]:
    return _settlement(policy, data).to_dict(compact=bool(data.get("compact", False)))


def _explain(policy: Policy, data: Mapping[str, Any]) -> dict[str, Any]:
    language = data.get("language")
    if language is not None and language not in LANGUAGES:
        expected = f"expected one of {', '.join(LANGUAGES)}"
        raise _Located(FactError([FactProblem("UDB605", "language", expected)]), data)
    rest = {k: v for k, v in data.items() if k != "language"}
    if "referral" in rest:
        _check_keys(rest, _SETTLE_KEYS)
        settlement = _settlement(policy, rest)
        return {"language": language or policy.language,
                "text": settlement.explain(language), "record": settlement.to_dict(True)}
    _check_keys(rest, _DECIDE_KEYS)
    decision = _decision(policy, rest)
    return {"language": language or policy.language, "text": decision.explain(language),
            "record": decision.to_dict(compact=True)}


def create_app(registry: PolicyRegistry) -> FastAPI:
    """The ASGI application serving the policies of ``registry``."""
    app = FastAPI(title="udbudsregler", version=__version__, description=(
        "Eligibility, routing and payment for Danish municipal tenders for employment "
        "services, with reasons. Every error is an RFC 9457 problem details object with "
        "the field paths."))

    def policy_of(policy_id: str, request: Request) -> Policy:
        policy = registry.get(policy_id)
        if policy is None:
            raise _Problem(404, problem(
                "unknown-policy", 404, f"no policy `{policy_id[:80]}` is served; the "
                f"policies are {', '.join(registry.ids())}", request.url.path))
        return policy

    async def call(request: Request, policy_id: str,
                   work: Callable[[Policy, Mapping[str, Any]], dict[str, Any]],
                   keys: Mapping[str, bool] | None) -> JSONResponse:
        policy = policy_of(policy_id, request)  # held to the end of this request
        data = await _body(request)
        if keys is not None:
            _check_keys(data, keys)
        result = await run_in_threadpool(work, policy, data)
        return JSONResponse(result)

    @app.exception_handler(_Problem)
    async def on_problem(request: Request, error: _Problem) -> JSONResponse:
        return _problem_response(error.status, error.body)

    @app.exception_handler(_Located)
    async def on_input_error(request: Request, error: _Located) -> JSONResponse:
        return _problem_response(*from_error(error.error, request.url.path, error.pointers))

    @app.exception_handler(UdbudsreglerError)
    async def on_library_error(request: Request, error: UdbudsreglerError) -> JSONResponse:
        return _problem_response(*from_error(error, request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        body = {"type": "about:blank", "title": _reason(error.status_code),
                "status": error.status_code, "detail": str(error.detail),
                "instance": request.url.path}
        return _problem_response(error.status_code, body, error.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return _problem_response(422, problem("input", 422, "the request does not fit",
                                              request.url.path))

    @app.exception_handler(Exception)
    async def on_internal(request: Request, error: Exception) -> JSONResponse:
        _log.exception("internal error at %s", request.url.path)
        return _problem_response(500, problem(
            "internal", 500, "an internal error; the server's log has the details",
            request.url.path))

    @app.get("/health", tags=["service"], summary="Whether every policy is served as its "
             "files say")
    def health() -> JSONResponse:
        ok = registry.healthy
        return JSONResponse({"status": "ok" if ok else "degraded",
                             "policies": registry.status()})

    @app.get("/version", tags=["service"], summary="The versions of udbudsregler and the "
             "stack")
    def version() -> dict[str, Any]:
        return {"udbudsregler": __version__, "record_format": RECORD_FORMAT,
                "python": platform.python_version(), "fastapi": fastapi.__version__,
                "uvicorn": uvicorn.__version__}

    @app.get("/policies", tags=["service"], summary="The served policies")
    def policies() -> list[dict[str, Any]]:
        return registry.status()

    @app.get("/policies/{policy_id}/schema", tags=["policies"],
             summary="The JSON Schemas of a policy's inputs")
    def schema(policy_id: str, request: Request) -> dict[str, Any]:
        return {str(k): v for k, v in policy_of(policy_id, request).schemas().items()}

    @app.post("/policies/{policy_id}/decide", tags=["policies"], summary="Decide")
    async def decide(policy_id: str, request: Request) -> JSONResponse:
        return await call(request, policy_id, _decide, _DECIDE_KEYS)

    @app.post("/policies/{policy_id}/settle", tags=["policies"], summary="Settle")
    async def settle(policy_id: str, request: Request) -> JSONResponse:
        return await call(request, policy_id, _settle, _SETTLE_KEYS)

    @app.post("/policies/{policy_id}/explain", tags=["policies"], summary="Explain")
    async def explain(policy_id: str, request: Request) -> JSONResponse:
        return await call(request, policy_id, _explain, None)

    cached: dict[tuple[str, ...], dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        served = registry.policies()
        key = tuple(p.content_hash for p in served)
        if key not in cached:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            cached.clear()
            cached[key] = add_policies(document, served)
        return cached[key]

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
