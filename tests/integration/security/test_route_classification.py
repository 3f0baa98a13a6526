"""Every route is either on the one explicit public list or limited to roles: the OpenAPI document is
walked, and so are the app's route handlers behind it."""

from api.app import create_app
from api.security.guards import BEARER, PUBLIC_OPERATIONS
from tanba.settings import Settings


def test_every_operation_is_public_or_guarded(tmp_path):
    gateway = create_app(Settings(var_dir=tmp_path))
    document = gateway.litestar.openapi_schema.to_schema()
    seen = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            op_id = operation["operationId"]
            seen.add(op_id)
            security = operation.get("security") or []
            if op_id in PUBLIC_OPERATIONS:
                assert not security, f"{method.upper()} {path} is public but documents a security scheme"
            else:
                assert security == [{BEARER: []}], f"{method.upper()} {path} ({op_id}) is neither public nor guarded"
    assert seen >= PUBLIC_OPERATIONS, f"stale names on the public list: {PUBLIC_OPERATIONS - seen}"
    assert BEARER in document["components"]["securitySchemes"]


def test_every_handler_names_its_roles_unless_public(tmp_path):
    gateway = create_app(Settings(var_dir=tmp_path))
    for route in gateway.litestar.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema") or handler.http_methods == {"OPTIONS"}:
                continue
            roles = handler.opt.get("roles")
            if handler.operation_id in PUBLIC_OPERATIONS:
                assert not roles, route.path
            else:
                assert roles, f"{route.path} ({handler.operation_id}) has no roles and is not public"


# the routes that store something under a key the caller chose (an id, a GTIN, a BIN): a second, different
# request under the same key is a conflict; and the codes of an order that is not complete
CONFLICTING = {"registerProduct", "submitCodeOrder", "submitDocument", "submitParticipantApplication",
               "getCodeOrderCodes", "getCodeOrderLabels",  # the order is not complete yet
               "reportViolation", "decideParticipantApplication"}


# the routes where a retried request is answered 200 with what the first one stored
RETRIED = {"registerProduct", "submitCodeOrder", "submitDocument", "submitParticipantApplication", "reportViolation"}


def test_every_operation_documents_the_problems_it_answers(tmp_path):
    """Participants' systems read the OpenAPI document (requirement 10): each refusal a route can give is
    there as an RFC 9457 problem, with the schema the API really sends."""
    gateway = create_app(Settings(var_dir=tmp_path))
    document = gateway.litestar.openapi_schema.to_schema()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    from api.faults import Fault
    from api.problems import problem_document

    sent = problem_document(422, "error.invalid_input", [Fault("field.required", "gtin", params={"field": "gtin"})],
                            "kk", "/x", "rid")
    assert set(sent) == set(problem["properties"])
    assert set(sent["errors"][0]) == set(document["components"]["schemas"]["ProblemError"]["properties"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or operation.get("operationId") in (None, "health"):
                continue
            responses = operation["responses"]
            expected = {"400", "401", "422", "503"} | ({"403"} if operation.get("security") else {"429"})
            expected |= {"404"} if "{" in path else set()
            expected |= {"413"} if "requestBody" in operation else set()
            expected |= {"409"} if operation["operationId"] in CONFLICTING else set()
            expected |= {"200"} if operation["operationId"] in RETRIED else set()
            missing = {s for s in expected if s not in responses}
            assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
            for status in (expected - {"200"}) & set(responses):
                content = responses[status]["content"]["application/problem+json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, (path, status)
