"""The seeded back office of the shop world: Hearth & Field, a small homeware shop.

The catalogue, the customers and the story orders (the ones tasks are about) are the same for
every seed; the seed varies phone numbers, the stock of products no task depends on, a handful
of older orders, and what some customers left in their carts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

FREE_SHIPPING_FROM = 5000
SHIPPING_CENTS = 595
"""Flat shipping fee for orders whose subtotal is under ``FREE_SHIPPING_FROM`` (cents)."""

# sku, name, category, price in cents, stock (None: drawn per seed)
PRODUCTS: list[tuple[str, str, str, int, int | None]] = [
    ("KIT-MUG-STN", "Stoneware Mug", "kitchen", 1800, 40),
    ("KIT-MUG-ENM", "Enamel Camp Mug", "kitchen", 1200, 25),
    ("KIT-KTL-GLS", "Glass Pour-Over Kettle", "kitchen", 4800, 14),
    ("KIT-PRS-FR8", "French Press, 8 cup", "kitchen", 3500, 18),
    ("KIT-GRN-BUR", "Burr Coffee Grinder", "kitchen", 8900, 6),
    ("KIT-SKL-C10", 'Cast-Iron Skillet 10"', "kitchen", 4500, 12),
    ("KIT-KNF-BRD", "Bread Knife", "kitchen", 3900, 9),
    ("KIT-BRD-WAL", "Walnut Cutting Board", "kitchen", 5200, 0),
    ("KIT-WRP-BEE", "Beeswax Food Wraps (3-pack)", "kitchen", 1600, 60),
    ("KIT-FLT-PAP", "Paper Coffee Filters (100)", "kitchen", 600, 80),
    ("KIT-TPT-CST", "Cast-Iron Teapot", "kitchen", 5600, None),
    ("KIT-SPN-OLV", "Olive-Wood Spoon Set", "kitchen", 2200, None),
    ("HOM-TWL-LIN", "Linen Tea Towel", "home", 1400, 35),
    ("HOM-APR-LIN", "Linen Apron", "home", 3200, 7),
    ("HOM-NAP-SGE", "Linen Napkins, set of 4 (Sage)", "home", 2800, 16),
    ("HOM-NAP-OAT", "Linen Napkins, set of 4 (Oat)", "home", 2800, 11),
    ("HOM-CDL-FIG", "Soy Candle, Fig", "home", 2400, 30),
    ("HOM-THR-WOL", "Wool Throw", "home", 9800, 5),
    ("HOM-PLN-CER", "Ceramic Planter, medium", "home", 3400, 20),
    ("HOM-BSK-SEA", "Seagrass Basket", "home", 2900, None),
    ("HOM-VAS-GLS", "Recycled Glass Vase", "home", 2600, None),
    ("HOM-CUS-LIN", "Linen Cushion Cover", "home", 2700, None),
    ("OUT-BTL-STL", "Insulated Steel Bottle", "outdoor", 2900, 40),
    ("OUT-LAN-SOL", "Solar Lantern", "outdoor", 3900, 15),
    ("OUT-BLK-PCN", "Picnic Blanket", "outdoor", 4400, 8),
    ("OUT-HAM-CTN", "Cotton Hammock", "outdoor", 7200, None),
    ("STA-NTB-A5D", "Dot-Grid Notebook A5", "stationery", 1500, 50),
    ("STA-PEN-BRS", "Brass Pen", "stationery", 4200, 10),
    ("STA-CAL-WAL", "Wall Calendar", "stationery", 1900, None),
    ("STA-CRD-SET", "Greeting Card Set", "stationery", 1100, 45),
]

# name, email, address (line1, city, postal code, country), saved card (last four digits)
CUSTOMERS: list[tuple[str, str, tuple[str, str, str, str], str | None]] = [
    ("Ana Souza", "ana.souza@example.com", ("Rua das Flores 12", "Porto", "4050-262", "Portugal"), "4242"),
    ("Ben Carter", "ben.carter@example.com", ("14 Elm Street", "Bristol", "BS1 4DJ", "United Kingdom"), "1881"),
    ("Chloé Martin", "chloe.martin@example.fr", ("8 rue Oberkampf", "Paris", "75011", "France"), "3005"),
    ("David Kim", "david.kim@example.com", ("221 Pine Avenue", "Seattle, WA", "98101", "United States"), "7719"),
    ("Emma Wilson", "emma.wilson@example.co.uk", ("3 Castle Row", "Edinburgh", "EH1 2NG", "United Kingdom"), "5100"),
    ("Emma Brooks", "emma.brooks@example.com", ("77 Harbour Road", "Cork", "T12 X8Y2", "Ireland"), "6011"),
    ("Farid Haddad", "farid.haddad@example.com", ("Avenue Louise 150", "Brussels", "1050", "Belgium"), "2223"),
    ("Grace Liu", "grace.liu@example.com", ("9 Rose Lane", "Manchester", "M4 1AB", "United Kingdom"), "4000"),
    ("Hugo Fischer", "hugo.fischer@example.de", ("Bergmannstraße 5", "Berlin", "10961", "Germany"), "8812"),
    ("Isabel Romero", "isabel.romero@example.es", ("Calle Mayor 18", "Madrid", "28013", "Spain"), "9043"),
    ("Jack O'Neill", "jack.oneill@example.ie", ("5 Dock Street", "Dublin", "D01 K2F3", "Ireland"), "3782"),
    ("Kofi Mensah", "kofi.mensah@example.com", ("40 Canal Street", "Leeds", "LS1 4AB", "United Kingdom"), None),
]

# customer (1-based), status, placed at, items (sku, quantity), tracking number, earlier refunds (cents, reason)
STORY_ORDERS: list[tuple[int, str, str, list[tuple[str, int]], str | None, list[tuple[int, str]]]] = [
    (3, "delivered", "2025-04-15T10:20:00Z", [("KIT-KTL-GLS", 1)], "1Z84X0150311", []),
    (8, "delivered", "2025-04-22T18:05:00Z", [("KIT-SPN-OLV", 1), ("HOM-TWL-LIN", 2)], "1Z84X0157724", []),
    (2, "delivered", "2025-04-28T08:45:00Z", [("KIT-KTL-GLS", 1), ("KIT-FLT-PAP", 1)], "1Z84X0160032", []),
    (8, "cancelled", "2025-05-10T12:00:00Z", [("KIT-KTL-GLS", 1)], None, []),
    (
        11,
        "delivered",
        "2025-05-12T19:30:00Z",
        [("KIT-KTL-GLS", 2), ("KIT-FLT-PAP", 2)],
        "1Z84X0171190",
        [(600, "one pack of filters arrived torn")],
    ),
    (
        7,
        "delivered",
        "2025-05-18T15:10:00Z",
        [("HOM-APR-LIN", 1), ("KIT-KNF-BRD", 1), ("KIT-WRP-BEE", 1)],
        "1Z84X0175561",
        [],
    ),
    (1, "delivered", "2025-05-20T14:12:00Z", [("KIT-MUG-STN", 2), ("HOM-TWL-LIN", 1)], "1Z84X0177305", []),
    (2, "shipped", "2025-05-29T09:40:00Z", [("KIT-SKL-C10", 1), ("HOM-CDL-FIG", 1)], "1Z84X0190448", []),
    (9, "paid", "2025-05-30T12:00:00Z", [("OUT-LAN-SOL", 2)], None, []),
    (3, "pending", "2025-05-31T11:00:00Z", [("STA-NTB-A5D", 2), ("STA-PEN-BRS", 1)], None, []),
    (4, "paid", "2025-05-31T16:30:00Z", [("KIT-PRS-FR8", 1), ("KIT-GRN-BUR", 1)], None, []),
    (6, "paid", "2025-05-31T18:20:00Z", [("OUT-BLK-PCN", 1), ("OUT-BTL-STL", 2)], None, []),
    (12, "pending", "2025-06-01T08:00:00Z", [("KIT-KTL-GLS", 1), ("STA-CRD-SET", 1)], None, []),
    (5, "paid", "2025-06-01T09:00:00Z", [("HOM-THR-WOL", 1)], None, []),
    (10, "paid", "2025-06-01T19:02:00Z", [("HOM-THR-WOL", 1)], None, []),
    (10, "paid", "2025-06-01T19:04:00Z", [("HOM-THR-WOL", 1)], None, []),
    (3, "pending", "2025-06-01T20:15:00Z", [("HOM-PLN-CER", 2)], None, []),
]

STORY_CARTS: dict[int, list[tuple[str, int]]] = {8: [("HOM-CDL-FIG", 1)]}
"""What customers (1-based) left in their carts, the same for every seed."""

_NOT_IN_FILLER = {"KIT-KTL-GLS", "HOM-NAP-SGE", "HOM-NAP-OAT", "KIT-BRD-WAL"}
_FIRST_ORDER_ID = 1001


def shipping_for(subtotal_cents: int) -> int:
    """The shipping fee for an order with this subtotal."""
    return 0 if subtotal_cents >= FREE_SHIPPING_FROM else SHIPPING_CENTS


def build(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """The rows of every table for the seed behind ``rng``."""
    products: list[dict[str, Any]] = [
        {
            "sku": sku,
            "name": name,
            "category": category,
            "price_cents": price,
            "stock": stock if stock is not None else rng.randint(0, 45),
        }
        for sku, name, category, price, stock in PRODUCTS
    ]
    prices = {p["sku"]: p["price_cents"] for p in products}
    customers: list[dict[str, Any]] = [
        {
            "id": number,
            "name": name,
            "email": email,
            "phone": f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            "address": _address(*address),
            "card_last4": card,
        }
        for number, (name, email, address, card) in enumerate(CUSTOMERS, start=1)
    ]

    drafts = list(STORY_ORDERS)
    sellable = [sku for sku, *_ in PRODUCTS if sku not in _NOT_IN_FILLER]
    for _ in range(rng.randint(6, 10)):
        day = datetime(2025, 4, 1) + timedelta(days=rng.randint(0, 27), minutes=rng.randint(8 * 60, 21 * 60))
        items = [(sku, rng.randint(1, 2)) for sku in rng.sample(sellable, k=rng.randint(1, 3))]
        status = "cancelled" if rng.random() < 0.2 else "delivered"
        tracking = f"1Z84X{rng.randint(1000000, 9999999)}" if status == "delivered" else None
        drafts.append((rng.randint(1, len(CUSTOMERS)), status, _iso(day), items, tracking, []))
    drafts.sort(key=lambda d: d[2])

    orders: list[dict[str, Any]] = []
    order_items: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    for order_id, (customer, status, placed_at, items, tracking, earlier) in enumerate(drafts, start=_FIRST_ORDER_ID):
        subtotal = sum(prices[sku] * quantity for sku, quantity in items)
        shipping = shipping_for(subtotal)
        placed = _parse(placed_at)
        orders.append(
            {
                "id": order_id,
                "customer_id": customer,
                "status": status,
                "shipping_address": customers[customer - 1]["address"],
                "subtotal_cents": subtotal,
                "shipping_cents": shipping,
                "total_cents": subtotal + shipping,
                "placed_at": placed_at,
                "shipped_at": _iso(placed + timedelta(days=1, hours=3)) if tracking else None,
                "tracking_number": tracking,
                "cancel_reason": "customer changed their mind" if status == "cancelled" else None,
            }
        )
        order_items += [
            {"order_id": order_id, "sku": sku, "quantity": quantity, "unit_price_cents": prices[sku]}
            for sku, quantity in items
        ]
        if status in ("paid", "shipped", "delivered"):
            payment_id = len(payments) + 1
            refunded = sum(amount for amount, _ in earlier)
            payments.append(
                {
                    "id": payment_id,
                    "order_id": order_id,
                    "method": "card",
                    "card_last4": customers[customer - 1]["card_last4"],
                    "captured_cents": subtotal + shipping,
                    "refunded_cents": refunded,
                    "status": "partially_refunded" if refunded else "captured",
                    "captured_at": _iso(placed + timedelta(minutes=2)),
                }
            )
            for amount, reason in earlier:
                refunds.append(
                    {
                        "id": len(refunds) + 1,
                        "order_id": order_id,
                        "payment_id": payment_id,
                        "amount_cents": amount,
                        "reason": reason,
                        "created_at": _iso(placed + timedelta(days=4)),
                    }
                )

    carts = [{"id": c["id"], "customer_id": c["id"]} for c in customers]
    cart_items = [
        {"cart_id": customer, "sku": sku, "quantity": quantity}
        for customer, lines in STORY_CARTS.items()
        for sku, quantity in lines
    ]
    for customer in rng.sample([c["id"] for c in customers if c["id"] not in STORY_CARTS], k=rng.randint(1, 4)):
        cart_items.append({"cart_id": customer, "sku": rng.choice(sellable), "quantity": rng.randint(1, 2)})

    return {
        "products": products,
        "customers": customers,
        "carts": carts,
        "cart_items": cart_items,
        "orders": orders,
        "order_items": order_items,
        "payments": payments,
        "refunds": refunds,
    }


def _address(line1: str, city: str, postal_code: str, country: str, line2: str = "") -> dict[str, str]:
    return {"line1": line1, "line2": line2, "city": city, "postal_code": postal_code, "country": country}


def _parse(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
