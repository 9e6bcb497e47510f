"""API route modules. Each exposes ``register(ctx: RouteContext)``; handlers.api registers
the modules listed in ROUTE_MODULES, in order."""

ROUTE_MODULES: tuple[str, ...] = (
    "zhtj.handlers.routes.system",
    "zhtj.handlers.routes.orgs",
    "zhtj.handlers.routes.members",
    "zhtj.handlers.routes.archives",
    "zhtj.handlers.routes.approvals",
    "zhtj.handlers.routes.distribution",
    "zhtj.handlers.routes.publishing",
    "zhtj.handlers.routes.imports",
    "zhtj.handlers.routes.figures",
)
