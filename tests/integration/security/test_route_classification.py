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
