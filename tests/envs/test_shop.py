"""The ``shop`` world: each tool's behaviour and errors, seeding, snapshots and diffs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rollyard.envs import make_world
from rollyard.envs._shop import ShopWorld
from tests.envs.world_calls import assert_tools_documented, error, ok

# Seed 0: customers and story orders the tests act on.
ANA, BEN, CHLOE, DAVID, GRACE, HUGO, ISABEL, JACK, KOFI = 1, 2, 3, 4, 8, 9, 10, 11, 12
JACK_KETTLES, ANA_MUGS, BEN_SHIPPED, HUGO_PAID, CHLOE_PENDING, DAVID_PAID, KOFI_PENDING = (
    1011,
    1013,
    1014,
    1015,
    1016,
    1017,
    1019,
)
GRACE_CANCELLED, NEXT_ORDER = 1010, 1024


@pytest.fixture
def world() -> Iterator[ShopWorld]:
    world = ShopWorld(seed=0)
    yield world
    world.close()


def row(world: ShopWorld, table: str, **match: Any) -> dict[str, Any]:
    (found,) = [r for r in world.state()[table] if all(r[k] == v for k, v in match.items())]
    return found


def stock(world: ShopWorld, sku: str) -> int:
    return int(row(world, "products", sku=sku)["stock"])


# ---- the world as a whole ----


def test_registry_tools_and_descriptions() -> None:
    world = make_world("shop", seed=0)
    assert isinstance(world, ShopWorld) and world.name == "shop"
    assert set(world.toolset.names()) == {
        "search_products",
        "get_product",
        "update_stock",
        "get_customer",
        "view_cart",
        "add_to_cart",
        "remove_from_cart",
        "checkout",
        "get_order",
        "list_orders",
        "pay_order",
        "cancel_order",
        "refund",
        "update_shipping_address",
    }
    assert_tools_documented(world)
    world.close()


def test_seeding_is_deterministic_and_varies_by_seed() -> None:
    a, b, c = ShopWorld(seed=0), ShopWorld(seed=0), ShopWorld(seed=3)
    assert a.state() == b.state()
    assert a.state() != c.state()
    state = a.state()
    assert 20 <= len(state["products"]) <= 40
    assert 10 <= len(state["customers"]) <= 12
    assert 18 <= len(state["orders"]) <= 30
    assert all(isinstance(r["price_cents"], int) for r in state["products"])
    # Every order's totals add up, and every captured payment matches its order.
    items = state["order_items"]
    for order in state["orders"]:
        subtotal = sum(i["quantity"] * i["unit_price_cents"] for i in items if i["order_id"] == order["id"])
        assert order["subtotal_cents"] == subtotal
        assert order["total_cents"] == subtotal + order["shipping_cents"]
    totals = {o["id"]: o["total_cents"] for o in state["orders"]}
    assert all(p["captured_cents"] == totals[p["order_id"]] for p in state["payments"])
    ok(a, "update_stock", sku="KIT-MUG-STN", add=1)
    a.reset(0)
    assert a.state() == b.state()
    for world in (a, b, c):
        world.close()


def test_keys_name_each_tables_primary_key(world: ShopWorld) -> None:
    assert world.keys() == {
        "cart_items": ["cart_id", "sku"],
        "carts": ["id"],
        "customers": ["id"],
        "order_items": ["order_id", "sku"],
        "orders": ["id"],
        "payments": ["id"],
        "products": ["sku"],
        "refunds": ["id"],
    }


# ---- catalogue ----


def test_search_and_get_products(world: ShopWorld) -> None:
    napkins = ok(world, "search_products", query="LINEN napkins")
    assert [p["sku"] for p in napkins] == ["HOM-NAP-OAT", "HOM-NAP-SGE"]
    assert napkins[0] == {
        "sku": "HOM-NAP-OAT",
        "name": "Linen Napkins, set of 4 (Oat)",
        "category": "home",
        "price_cents": 2800,
        "stock": 11,
    }
    assert ok(world, "search_products", query="ktl")[0]["name"] == "Glass Pour-Over Kettle"
    assert {p["category"] for p in ok(world, "search_products", category="outdoor")} == {"outdoor"}
    assert "KIT-BRD-WAL" not in [p["sku"] for p in ok(world, "search_products", in_stock_only=True)]
    assert len(ok(world, "search_products")) == 30
    assert "categories: home, kitchen" in error(world, "search_products", category="garden")
    assert ok(world, "get_product", sku="kit-mug-stn")["stock"] == 40
    assert "no product with SKU" in error(world, "get_product", sku="NOPE")


def test_update_stock(world: ShopWorld) -> None:
    assert ok(world, "update_stock", sku="KIT-MUG-STN", add=24)["stock"] == 64
    assert ok(world, "update_stock", sku="KIT-MUG-STN", add=-4)["stock"] == 60
    assert ok(world, "update_stock", sku="KIT-MUG-STN", set_to=0)["stock"] == 0
    assert "exactly one" in error(world, "update_stock", sku="KIT-MUG-STN")
    assert "exactly one" in error(world, "update_stock", sku="KIT-MUG-STN", set_to=1, add=1)
    assert "below 0" in error(world, "update_stock", sku="KIT-MUG-STN", add=-1)
    assert "no product" in error(world, "update_stock", sku="NOPE", add=1)


# ---- customers and carts ----


def test_get_customer(world: ShopWorld) -> None:
    assert [c["name"] for c in ok(world, "get_customer", query="emma")] == ["Emma Wilson", "Emma Brooks"]
    (chloe,) = ok(world, "get_customer", query="Chloe Martin")  # accents do not matter
    assert chloe["customer_id"] == CHLOE and chloe["saved_card"] == "card ending 3005"
    assert chloe["address"]["city"] == "Paris"
    (grace,) = ok(world, "get_customer", query="GRACE.LIU@example.com")
    assert grace["customer_id"] == GRACE and grace["items_in_cart"] == 1
    assert ok(world, "get_customer", query="Kofi")[0]["saved_card"] is None
    assert "no customer matches" in error(world, "get_customer", query="Zoe")
    assert "empty" in error(world, "get_customer", query=" ")


def test_cart_add_view_remove(world: ShopWorld) -> None:
    cart = ok(world, "view_cart", customer_id=GRACE)
    assert [i["sku"] for i in cart["items"]] == ["HOM-CDL-FIG"]
    assert (cart["subtotal_cents"], cart["shipping_cents"], cart["total_cents"]) == (2400, 595, 2995)
    cart = ok(world, "add_to_cart", customer_id=GRACE, sku="kit-mug-enm", quantity=2)
    cart = ok(world, "add_to_cart", customer_id=GRACE, sku="KIT-MUG-ENM")
    assert row(world, "cart_items", cart_id=GRACE, sku="KIT-MUG-ENM")["quantity"] == 3
    assert (cart["subtotal_cents"], cart["shipping_cents"]) == (6000, 0)  # free shipping from 5000
    assert "only 0 of KIT-BRD-WAL in stock" in error(world, "add_to_cart", customer_id=GRACE, sku="KIT-BRD-WAL")
    assert "only 5 of HOM-THR-WOL" in error(world, "add_to_cart", customer_id=GRACE, sku="HOM-THR-WOL", quantity=6)
    assert "at least 1" in error(world, "add_to_cart", customer_id=GRACE, sku="KIT-MUG-ENM", quantity=0)
    assert "no customer 99" in error(world, "add_to_cart", customer_id=99, sku="KIT-MUG-ENM")
    ok(world, "remove_from_cart", customer_id=GRACE, sku="KIT-MUG-ENM", quantity=2)
    assert row(world, "cart_items", cart_id=GRACE, sku="KIT-MUG-ENM")["quantity"] == 1
    cart = ok(world, "remove_from_cart", customer_id=GRACE, sku="HOM-CDL-FIG")
    assert [i["sku"] for i in cart["items"]] == ["KIT-MUG-ENM"]
    assert "not in customer 8's cart" in error(world, "remove_from_cart", customer_id=GRACE, sku="HOM-CDL-FIG")
    assert "at least 1" in error(world, "remove_from_cart", customer_id=GRACE, sku="KIT-MUG-ENM", quantity=0)


def test_checkout_reserves_stock_and_empties_the_cart(world: ShopWorld) -> None:
    ok(world, "add_to_cart", customer_id=GRACE, sku="KIT-MUG-ENM", quantity=2)
    order = ok(world, "checkout", customer_id=GRACE)
    assert order["order_id"] == NEXT_ORDER and order["status"] == "pending" and order["payment"] is None
    assert [(i["sku"], i["quantity"]) for i in order["items"]] == [("HOM-CDL-FIG", 1), ("KIT-MUG-ENM", 2)]
    assert (order["subtotal_cents"], order["shipping_cents"], order["total_cents"]) == (4800, 595, 5395)
    assert order["shipping_address"]["line1"] == "9 Rose Lane"
    assert order["placed_at"] == "2025-06-02T09:00:00Z"
    assert (stock(world, "HOM-CDL-FIG"), stock(world, "KIT-MUG-ENM")) == (29, 23)
    assert ok(world, "view_cart", customer_id=GRACE)["items"] == []
    assert "cart is empty" in error(world, "checkout", customer_id=GRACE)


def test_a_failing_tool_changes_nothing(world: ShopWorld) -> None:
    # The candle line is ordered and its stock taken before the mugs turn out short: all is rolled back.
    ok(world, "add_to_cart", customer_id=GRACE, sku="KIT-MUG-ENM", quantity=2)
    ok(world, "update_stock", sku="KIT-MUG-ENM", set_to=1)
    message = error(world, "checkout", customer_id=GRACE)
    assert "only 1 of KIT-MUG-ENM left" in message
    assert stock(world, "HOM-CDL-FIG") == 30
    assert NEXT_ORDER not in {o["id"] for o in world.state()["orders"]}


# ---- orders ----


def test_get_order(world: ShopWorld) -> None:
    order = ok(world, "get_order", order_id=JACK_KETTLES)
    assert order["customer"] == {"customer_id": JACK, "name": "Jack O'Neill", "email": "jack.oneill@example.ie"}
    assert order["status"] == "delivered" and order["tracking_number"]
    assert order["items"][1] == {
        "sku": "KIT-KTL-GLS",
        "name": "Glass Pour-Over Kettle",
        "quantity": 2,
        "unit_price_cents": 4800,
        "line_total_cents": 9600,
    }
    assert order["payment"]["refundable_cents"] == 10200 and order["payment"]["status"] == "partially_refunded"
    assert [r["amount_cents"] for r in order["refunds"]] == [600]
    assert "no order 42" in error(world, "get_order", order_id=42)


def test_list_orders_filters(world: ShopWorld) -> None:
    chloe = ok(world, "list_orders", customer_id=CHLOE)
    assert [o["order_id"] for o in chloe[:2]] == [1023, CHLOE_PENDING]  # newest first
    assert all(o["customer"] == "Chloé Martin" for o in chloe)
    pending = ok(world, "list_orders", status="pending")
    assert {o["order_id"] for o in pending} == {1023, CHLOE_PENDING, KOFI_PENDING}
    kettles = ok(world, "list_orders", sku="kit-ktl-gls")
    assert [o["order_id"] for o in kettles] == [KOFI_PENDING, JACK_KETTLES, GRACE_CANCELLED, 1008, 1002]
    assert ok(world, "list_orders", customer_id=KOFI, status="paid") == []
    assert "no status" in error(world, "list_orders", status="lost")
    assert "no customer 99" in error(world, "list_orders", customer_id=99)
    assert "no product" in error(world, "list_orders", sku="NOPE")


def test_pay_order(world: ShopWorld) -> None:
    order = ok(world, "pay_order", order_id=CHLOE_PENDING)
    assert order["status"] == "paid"
    assert order["payment"] == {
        "payment_id": 20,
        "card": "card ending 3005",
        "captured_cents": 7200,
        "refunded_cents": 0,
        "refundable_cents": 7200,
        "status": "captured",
    }
    assert "not pending" in error(world, "pay_order", order_id=CHLOE_PENDING)
    assert "no saved card" in error(world, "pay_order", order_id=KOFI_PENDING)
    assert "no order" in error(world, "pay_order", order_id=42)


def test_cancel_order(world: ShopWorld) -> None:
    # A paid order: stock back, everything still captured refunded.
    order = ok(world, "cancel_order", order_id=DAVID_PAID, reason=" changed his mind ")
    assert order["status"] == "cancelled" and order["cancel_reason"] == "changed his mind"
    assert order["payment"]["status"] == "refunded" and order["payment"]["refunded_cents"] == 12400
    assert order["refunds"][0]["reason"] == "order cancelled: changed his mind"
    assert (stock(world, "KIT-PRS-FR8"), stock(world, "KIT-GRN-BUR")) == (19, 7)
    # A pending order: stock back, nothing to refund.
    before_refunds = len(world.state()["refunds"])
    assert ok(world, "cancel_order", order_id=KOFI_PENDING, reason="recall")["payment"] is None
    assert len(world.state()["refunds"]) == before_refunds and stock(world, "KIT-KTL-GLS") == 15
    assert "already shipped" in error(world, "cancel_order", order_id=BEN_SHIPPED, reason="x")
    assert "already delivered" in error(world, "cancel_order", order_id=ANA_MUGS, reason="x")
    assert "already cancelled" in error(world, "cancel_order", order_id=DAVID_PAID, reason="x")
    assert "give a reason" in error(world, "cancel_order", order_id=HUGO_PAID, reason=" ")


def test_refund_is_bounded_by_what_was_captured(world: ShopWorld) -> None:
    first = ok(world, "refund", order_id=ANA_MUGS, amount_cents=1800, reason="broken mug")
    assert first["refund_id"] == 2 and first["payment"]["status"] == "partially_refunded"
    assert first["payment"]["refundable_cents"] == 3200
    message = error(world, "refund", order_id=ANA_MUGS, amount_cents=3201, reason="too much")
    assert "only 3200 cents of order 1013 can still be refunded" in message
    last = ok(world, "refund", order_id=ANA_MUGS, amount_cents=3200, reason="rest")
    assert last["payment"]["status"] == "refunded" and last["payment"]["refundable_cents"] == 0
    assert row(world, "orders", id=ANA_MUGS)["status"] == "delivered"  # refunds leave the order's status
    assert "never paid" in error(world, "refund", order_id=CHLOE_PENDING, amount_cents=100, reason="x")
    assert "never paid" in error(world, "refund", order_id=GRACE_CANCELLED, amount_cents=100, reason="x")
    assert "positive" in error(world, "refund", order_id=JACK_KETTLES, amount_cents=0, reason="x")
    assert "give a reason" in error(world, "refund", order_id=JACK_KETTLES, amount_cents=100, reason="")


def test_update_shipping_address(world: ShopWorld) -> None:
    order = ok(
        world,
        "update_shipping_address",
        order_id=HUGO_PAID,
        line1="Kastanienallee 12",
        line2="3. OG",
        city="Berlin",
        postal_code="10435",
        country="Germany",
    )
    assert order["shipping_address"] == {
        "line1": "Kastanienallee 12",
        "line2": "3. OG",
        "city": "Berlin",
        "postal_code": "10435",
        "country": "Germany",
    }
    assert row(world, "orders", id=HUGO_PAID)["shipping_address"]["line1"] == "Kastanienallee 12"
    assert row(world, "customers", id=HUGO)["address"]["line1"] == "Bergmannstraße 5"  # the profile stays
    address = {"line1": "x", "city": "y", "postal_code": "z", "country": "w"}
    message = error(world, "update_shipping_address", order_id=BEN_SHIPPED, **address)
    assert "only unshipped orders" in message
    assert "needs city" in error(world, "update_shipping_address", order_id=HUGO_PAID, **{**address, "city": " "})


# ---- snapshots and diffs ----


def test_snapshot_restore_round_trip_after_irreversible_actions(world: ShopWorld) -> None:
    start = world.state()
    snapshot = world.toolset.snapshot()
    ok(world, "pay_order", order_id=CHLOE_PENDING)
    ok(world, "refund", order_id=JACK_KETTLES, amount_cents=9600, reason="recall")
    ok(world, "cancel_order", order_id=DAVID_PAID, reason="changed his mind")
    assert world.state() != start
    world.toolset.restore(snapshot)
    assert world.state() == start
    assert ok(world, "pay_order", order_id=CHLOE_PENDING)["payment"]["payment_id"] == 20


def test_diff_shape_for_each_kind_of_change(world: ShopWorld) -> None:
    before = world.state()
    ok(world, "refund", order_id=ANA_MUGS, amount_cents=1800, reason="broken mug")
    ok(world, "remove_from_cart", customer_id=GRACE, sku="HOM-CDL-FIG")
    diff = world.diff(before, world.state())
    assert diff.summary() == "cart_items -1, payments ~1, refunds +1"
    assert diff.inserts == [
        {
            "__table__": "refunds",
            "id": 2,
            "order_id": ANA_MUGS,
            "payment_id": 12,
            "amount_cents": 1800,
            "reason": "broken mug",
            "created_at": "2025-06-02T09:00:00Z",
        }
    ]
    (update,) = diff.updates
    changed = {k for k in update["after"] if update["before"][k] != update["after"][k]}
    assert update["after"]["__table__"] == "payments" and changed == {"refunded_cents", "status"}
    assert diff.deletes == [{"__table__": "cart_items", "cart_id": GRACE, "sku": "HOM-CDL-FIG", "quantity": 1}]
    # JSON columns come back decoded, so a changed address diffs as a mapping.
    before = world.state()
    address = {"line1": "1 New St", "city": "Leeds", "postal_code": "LS1", "country": "United Kingdom"}
    ok(world, "update_shipping_address", order_id=HUGO_PAID, **address)
    (update,) = world.diff(before, world.state()).updates
    assert update["after"]["shipping_address"]["line1"] == "1 New St"
