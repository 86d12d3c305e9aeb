"""The Schema Registry client over httpx.MockTransport: paths, bodies, caching, errors, and the codec on top."""

from __future__ import annotations

import json
from typing import Any, Callable

import avro.errors
import avro.schema
import httpx
import pytest

from fapiao.exceptions import ConfigurationError
from fapiao.schemas.codec import schema_for
from fapiao.schemas.registry import SchemaRegistry, codec_for

Handler = Callable[[httpx.Request], httpx.Response]


class FakeRegistry:
    """Just enough of the Confluent REST API v1: register under a subject, fetch by id."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.schemas: dict[int, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path.startswith("/subjects/"):
            text = json.loads(request.content)["schema"]
            ids = [i for i, known in self.schemas.items() if known == text]
            schema_id = ids[0] if ids else len(self.schemas) + 1
            self.schemas[schema_id] = text
            return httpx.Response(200, json={"id": schema_id})
        if request.method == "GET" and request.url.path.startswith("/schemas/ids/"):
            schema_id = int(request.url.path.rsplit("/", 1)[1])
            if schema_id not in self.schemas:
                return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})
            return httpx.Response(200, json={"schema": self.schemas[schema_id]})
        return httpx.Response(404)


@pytest.fixture
def fake_factory() -> Callable[[], FakeRegistry]:
    return FakeRegistry


@pytest.fixture
def fake(fake_factory: Callable[[], FakeRegistry]) -> FakeRegistry:
    return fake_factory()


@pytest.fixture
def client_factory() -> Callable[[Handler], SchemaRegistry]:
    def make(handler: Handler, url: str = "http://registry.test:8081/") -> SchemaRegistry:
        return SchemaRegistry(url, transport=httpx.MockTransport(handler))

    return make


@pytest.fixture
def client(client_factory: Callable[[Handler], SchemaRegistry], fake: FakeRegistry) -> SchemaRegistry:
    return client_factory(fake)


def test_register_posts_the_schema_text_under_the_subject(client: SchemaRegistry, fake: FakeRegistry) -> None:
    schema = {"type": "record", "name": "T", "fields": [{"name": "a", "type": "string"}]}
    assert client.register("fapiao.events-value", schema) == 1
    (request,) = fake.requests
    assert (request.method, str(request.url)) == ("POST", "http://registry.test:8081/subjects/fapiao.events-value/versions")
    assert request.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    body = json.loads(request.content)
    assert list(body) == ["schema"] and json.loads(body["schema"]) == schema


def test_register_asks_once_per_subject_and_schema(client: SchemaRegistry, fake: FakeRegistry) -> None:
    one, two = {"type": "string"}, {"type": "long"}
    ids = [client.register("a-value", one), client.register("a-value", one), client.register("b-value", one),
           client.register("a-value", two), client.register("a-value", dict(reversed(list(one.items()))))]
    assert ids == [1, 1, 1, 2, 1]
    assert [r.url.path for r in fake.requests] == ["/subjects/a-value/versions", "/subjects/b-value/versions",
                                                   "/subjects/a-value/versions"]


def test_lookup_fetches_by_id_once(client: SchemaRegistry, fake: FakeRegistry) -> None:
    fake.schemas[7] = json.dumps({"type": "string"})
    assert client.lookup(7) == {"type": "string"}
    assert client.lookup(7) == {"type": "string"}
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/schemas/ids/7")]


@pytest.mark.parametrize(("status", "call"), [
    (404, lambda c: c.lookup(9)),
    (500, lambda c: c.lookup(9)),
    (409, lambda c: c.register("fapiao.events-value", {"type": "string"})),  # incompatible schema
    (401, lambda c: c.register("fapiao.events-value", {"type": "string"})),
])
def test_an_error_answer_is_a_configuration_error_naming_the_call(client_factory, status: int,
                                                                  call: Callable[[SchemaRegistry], Any]) -> None:
    client = client_factory(lambda request: httpx.Response(status, json={"error_code": status}))
    with pytest.raises(ConfigurationError, match=rf"schema registry (GET|POST) /(schemas|subjects)/.*{status}"):
        call(client)


def test_an_unreachable_registry_is_a_configuration_error(client_factory) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ConfigurationError, match="schema registry GET /schemas/ids/1") as caught:
        client_factory(refuse).lookup(1)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("call", [lambda c: c.lookup(1), lambda c: c.register("s-value", {"type": "string"})])
def test_an_answer_that_is_not_json_is_a_configuration_error(client_factory,
                                                             call: Callable[[SchemaRegistry], Any]) -> None:
    """A proxy's login page answered with 200 must not escape as a JSONDecodeError."""
    client = client_factory(lambda request: httpx.Response(200, text="<html>sign in</html>"))
    with pytest.raises(ConfigurationError, match="schema registry"):
        call(client)


def test_the_url_may_end_with_a_slash_or_not(client_factory, fake: FakeRegistry) -> None:
    client_factory(fake, "http://registry.test:8081").register("s-value", {"type": "string"})
    client_factory(fake, "http://registry.test:8081///").register("s-value", {"type": "string"})
    assert [str(r.url) for r in fake.requests] == ["http://registry.test:8081/subjects/s-value/versions"] * 2


def test_a_codec_over_the_client_round_trips_every_record(client_factory, fake: FakeRegistry, records) -> None:
    from fapiao.schemas.codec import Codec

    writer = client_factory(fake)
    reader = client_factory(fake)  # another worker: knows ids only from the registry
    codec_w = Codec(registry=writer.register, lookup=writer.lookup)
    codec_r = Codec(registry=reader.register, lookup=reader.lookup)
    for record in records:
        assert codec_r.decode(codec_w.encode(record, "fapiao.x"), type(record)) == record
    registered = [json.loads(json.loads(r.content)["schema"])["name"] for r in fake.requests if r.method == "POST"]
    assert sorted(registered) == sorted({f"fapiao.{type(r).__name__.removesuffix('Record')}" for r in records})


@pytest.mark.parametrize("name", ["InvoiceRequest", "Signal", "InvoiceEvent", "InvoiceResult", "InvoiceState",
                                  "Callback"])
def test_the_schema_text_register_posts_parses_in_the_apache_avro_reference_parser(
        client: SchemaRegistry, fake: FakeRegistry, name: str) -> None:
    """A Confluent registry parses what it is sent with Apache Avro's Java parser, which no test here can run
    (no JVM, no Docker). Apache Avro's own Python parser, independent of fastavro, applies the same rules (a
    full name is defined once, later uses refer to it; names, defaults and unions must be valid). It parses
    the exact text `register()` posts, fastavro's `__` bookkeeping keys included (custom properties to both
    parsers)."""
    client.register("fapiao.x-value", schema_for(name))
    text = json.loads(fake.requests[0].content)["schema"]
    parsed = avro.schema.parse(text)
    assert parsed.fullname == f"fapiao.{name}"
    assert [field.name for field in parsed.fields] == [field["name"] for field in schema_for(name)["fields"]]


def test_the_reference_parser_refuses_a_name_defined_twice() -> None:
    """The premise of the test above: the parser it relies on refuses what a Java registry would."""
    inner = {"type": "record", "name": "fapiao.Twice", "fields": []}
    twice = {"type": "record", "name": "fapiao.Outer", "fields": [{"name": "a", "type": inner}, {"name": "b", "type": inner}]}
    with pytest.raises(avro.errors.SchemaParseException, match="already in use"):
        avro.schema.parse(json.dumps(twice))


def test_codec_for_chooses_the_format_from_the_setting() -> None:
    assert codec_for(None)._register is None and codec_for("")._register is None
    with_registry = codec_for("http://registry.test:8081")
    assert with_registry._register is not None and with_registry._lookup is not None
    assert codec_for("http://registry.test:8081") is with_registry  # one client per URL
