"""Product catalogue endpoints."""

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from api.domain.products import services
from api.domain.products.schemas import ProductCard, ProductIn
from api.security.context import RequestContext
from api.security.guards import guarded


class ProductController(Controller):
    path = "/api/v1/products"
    tags = ["Products"]

    @post("/", operation_id="registerProduct", status_code=201, summary="Register a product card",
          description="A manufacturer or importer registers what a GTIN is: product group, TN VED code, trade "
                      "name in kk and ru, brand, manufacturer, country of origin, importer when imported, and the "
                      "GTINs of its group and transport packs. GTIN-8/12/13 are normalised to 14 digits; every "
                      "fault is named (field, index, rule). Only the card's owner may order codes for its GTINs. "
                      "The same card sent again by its owner (a retry) is answered 200 with the stored card; "
                      "another card for a registered GTIN is 409.",
          response_description="The product card as stored",
          **guarded("participant", also=(409, 413), retry=ProductCard))
    async def register(self, ctx: RequestContext, data: ProductIn) -> Response[ProductCard]:
        card = await services.register_product(ctx, data)
        return Response(card, status_code=ctx.pending_status)  # 200: a retry of a card already registered

    @get("/", operation_id="listProducts", summary="Product cards, by GTIN",
         description="A participant's own cards; authorities and operators see every card. Pages of `limit` "
                     "cards in GTIN order: pass the last GTIN of a page as `after` for the next one.",
         **guarded("participant", "authority", "operator"))
    async def list_products(
        self, ctx: RequestContext, limit: Annotated[int, Parameter(query="limit", ge=1, le=1000)] = 100,
        after: Annotated[str | None, Parameter(query="after", max_length=32,
                                               description="the last GTIN of the page before (GTIN-8, 12, 13 "
                                                           "or 14)")] = None,
    ) -> list[ProductCard]:
        return await services.list_products(ctx, limit, after)

    @get("/{gtin:str}", operation_id="getProduct", summary="One product card",
         description="The owner, authorities and operators.",
         **guarded("participant", "authority", "operator", also=(404,)))
    async def get_product(self, ctx: RequestContext, gtin: str) -> ProductCard:
        return await services.product_card(ctx, gtin)
