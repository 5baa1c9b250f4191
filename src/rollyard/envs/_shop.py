"""``ShopWorld``: the back office of a small online shop (catalogue, carts, orders, payments, refunds).

Money is integer cents throughout. An order's life: ``checkout`` turns a customer's cart into a
``pending`` order and reserves its stock; ``pay_order`` captures the payment on the customer's
saved card (``paid``); the warehouse ships and delivers it (``shipped``, ``delivered``). Until it
ships an order can be cancelled (stock returns; a captured payment is refunded in full); after
that only ``refund`` gives money back, never more than was captured. Timestamps come from a
logical clock (one minute after the latest recorded event), so the same calls give the same state.
"""

from __future__ import annotations

import json
import random
import sqlite3
import unicodedata
from datetime import datetime, timedelta
from typing import Any, ClassVar

from . import _shop_seed
from ._base import SQLiteWorld, ToolError, world_tool

_SCHEMA = """
CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    address JSON NOT NULL,
    card_last4 TEXT
);
CREATE TABLE carts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL UNIQUE REFERENCES customers(id)
);
CREATE TABLE cart_items (
    cart_id INTEGER NOT NULL REFERENCES carts(id),
    sku TEXT NOT NULL REFERENCES products(sku),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (cart_id, sku)
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    shipping_address JSON NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    shipping_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    placed_at TEXT NOT NULL,
    shipped_at TEXT,
    tracking_number TEXT,
    cancel_reason TEXT
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    sku TEXT NOT NULL REFERENCES products(sku),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
    method TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    captured_cents INTEGER NOT NULL,
    refunded_cents INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents <= captured_cents),
    status TEXT NOT NULL CHECK (status IN ('captured', 'partially_refunded', 'refunded')),
    captured_at TEXT NOT NULL
);
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

_START = datetime(2025, 6, 2, 9, 0)
"""The earliest time the agent's own actions are stamped with (the morning after the seeded data)."""
_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")


class ShopWorld(SQLiteWorld):
    """A shop's back office: products and stock, customers and carts, orders, payments, refunds."""

    name: ClassVar[str] = "shop"
    description: ClassVar[str] = (
        "The back office of Hearth & Field, a small online homeware shop. Money is in integer cents "
        "(1800 = $18.00). Orders go pending -> paid -> shipped -> delivered, or cancelled before shipping."
    )
    schema: ClassVar[str] = _SCHEMA

    def seed_rows(self, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
        return _shop_seed.build(rng)

    # ---- catalogue ----

    @world_tool
    def search_products(
        self, query: str = "", category: str | None = None, in_stock_only: bool = False
    ) -> list[dict[str, Any]]:
        """Search the catalogue by name or SKU; every word of the query must match (case-insensitive).

        Args:
            query: Words to look for, e.g. "linen napkins"; empty lists everything.
            category: Only this category: kitchen, home, outdoor or stationery.
            in_stock_only: Leave out products with no stock.
        """
        words = _fold(query).split()
        rows = self.query("SELECT * FROM products ORDER BY category, name")
        if category is not None:
            known = sorted({r["category"] for r in rows})
            if category.lower() not in known:
                raise ToolError(f"no category {category!r}; categories: {', '.join(known)}")
            rows = [r for r in rows if r["category"] == category.lower()]
        hits = [
            r
            for r in rows
            if all(w in _fold(f"{r['name']} {r['sku']}") for w in words) and (r["stock"] > 0 or not in_stock_only)
        ]
        return [_product_view(r) for r in hits]

    @world_tool
    def get_product(self, sku: str) -> dict[str, Any]:
        """One product: name, price and stock.

        Args:
            sku: The product's SKU, e.g. "KIT-MUG-STN".
        """
        return _product_view(self._product(sku))

    @world_tool
    def update_stock(self, sku: str, set_to: int | None = None, add: int | None = None) -> dict[str, Any]:
        """Change a product's stock: either set it to a number or add to it (negative to take away).

        Args:
            sku: The product's SKU.
            set_to: The new stock level (for a stock count or a discontinued product: 0).
            add: How many units to add, e.g. 24 for a delivery or -2 for damaged units.
        """
        if (set_to is None) == (add is None):
            raise ToolError("give exactly one of set_to or add")
        with self.transaction() as db:
            product = self._product(sku)
            stock = set_to if set_to is not None else product["stock"] + (add or 0)
            if stock < 0:
                raise ToolError(f"stock cannot go below 0 (it is {product['stock']})")
            self.update(db, "products", {"sku": product["sku"]}, {"stock": stock})
            return _product_view(self._product(product["sku"]))

    # ---- customers and carts ----

    @world_tool
    def get_customer(self, query: str) -> list[dict[str, Any]]:
        """Find customers by email or by (part of) their name; every match is returned.

        Args:
            query: An email address, or a name such as "Ana Souza" or "Emma".
        """
        needle = _fold(query.strip())
        if not needle:
            raise ToolError("the query is empty")
        rows = self.query("SELECT * FROM customers ORDER BY id")
        hits = [c for c in rows if c["email"].lower() == needle] or [c for c in rows if needle in _fold(c["name"])]
        if not hits:
            raise ToolError(f"no customer matches {query!r}")
        return [self._customer_view(c) for c in hits]

    @world_tool
    def view_cart(self, customer_id: int) -> dict[str, Any]:
        """What is in a customer's cart, with the totals checkout would charge.

        Args:
            customer_id: The customer's id (get_customer finds it).
        """
        return self._cart_view(self._customer(customer_id)["id"])

    @world_tool
    def add_to_cart(self, customer_id: int, sku: str, quantity: int = 1) -> dict[str, Any]:
        """Put a product in a customer's cart (adds to the quantity if it is already there).

        Args:
            customer_id: The customer's id.
            sku: The product's SKU.
            quantity: How many units to add.
        """
        if quantity < 1:
            raise ToolError("quantity must be at least 1")
        with self.transaction() as db:
            cart = self._cart(customer_id)
            product = self._product(sku)
            lines = self.query("SELECT * FROM cart_items WHERE cart_id = ? AND sku = ?", cart["id"], product["sku"])
            wanted = quantity + (lines[0]["quantity"] if lines else 0)
            if wanted > product["stock"]:
                raise ToolError(f"only {product['stock']} of {product['sku']} in stock; the cart would hold {wanted}")
            if lines:
                self.update(db, "cart_items", {"cart_id": cart["id"], "sku": product["sku"]}, {"quantity": wanted})
            else:
                db.execute(
                    "INSERT INTO cart_items (cart_id, sku, quantity) VALUES (?, ?, ?)",
                    (cart["id"], product["sku"], wanted),
                )
            return self._cart_view(cart["customer_id"])

    @world_tool
    def remove_from_cart(self, customer_id: int, sku: str, quantity: int | None = None) -> dict[str, Any]:
        """Take a product out of a customer's cart.

        Args:
            customer_id: The customer's id.
            sku: The product's SKU.
            quantity: How many units to take out; leave empty to remove the line entirely.
        """
        with self.transaction() as db:
            cart = self._cart(customer_id)
            key = {"cart_id": cart["id"], "sku": sku.strip().upper()}
            lines = self.query("SELECT * FROM cart_items WHERE cart_id = ? AND sku = ?", *key.values())
            if not lines:
                raise ToolError(f"{key['sku']} is not in customer {customer_id}'s cart")
            if quantity is not None and quantity < 1:
                raise ToolError("quantity must be at least 1 (or empty to remove the line)")
            if quantity is None or quantity >= lines[0]["quantity"]:
                db.execute("DELETE FROM cart_items WHERE cart_id = ? AND sku = ?", tuple(key.values()))
            else:
                self.update(db, "cart_items", key, {"quantity": lines[0]["quantity"] - quantity})
            return self._cart_view(cart["customer_id"])

    @world_tool
    def checkout(self, customer_id: int) -> dict[str, Any]:
        """Turn a customer's cart into a pending order shipped to their saved address, reserving
        the stock and emptying the cart. The order still needs pay_order to be charged.

        Args:
            customer_id: The customer's id.
        """
        with self.transaction() as db:
            cart = self._cart(customer_id)
            customer = self._customer(customer_id)
            lines = self.query(
                "SELECT ci.sku, ci.quantity, p.price_cents, p.stock FROM cart_items ci "
                "JOIN products p ON p.sku = ci.sku WHERE ci.cart_id = ? ORDER BY ci.sku",
                cart["id"],
            )
            if not lines:
                raise ToolError(f"customer {customer_id}'s cart is empty")
            subtotal = sum(line["price_cents"] * line["quantity"] for line in lines)
            shipping = _shop_seed.shipping_for(subtotal)
            cursor = db.execute(
                "INSERT INTO orders (customer_id, status, shipping_address, subtotal_cents, shipping_cents, "
                "total_cents, placed_at) VALUES (?, 'pending', ?, ?, ?, ?, ?)",
                (customer_id, json.dumps(customer["address"]), subtotal, shipping, subtotal + shipping, self._now()),
            )
            order_id = int(cursor.lastrowid or 0)
            for line in lines:
                if line["quantity"] > line["stock"]:
                    raise ToolError(f"only {line['stock']} of {line['sku']} left; the cart holds {line['quantity']}")
                db.execute(
                    "INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES (?, ?, ?, ?)",
                    (order_id, line["sku"], line["quantity"], line["price_cents"]),
                )
                self.update(db, "products", {"sku": line["sku"]}, {"stock": line["stock"] - line["quantity"]})
            db.execute("DELETE FROM cart_items WHERE cart_id = ?", (cart["id"],))
            return self._order_view(order_id)

    # ---- orders ----

    @world_tool
    def get_order(self, order_id: int) -> dict[str, Any]:
        """One order in full: items, totals, shipping, payment and refunds.

        Args:
            order_id: The order number, e.g. 1007.
        """
        return self._order_view(self._order(order_id)["id"])

    @world_tool
    def list_orders(
        self, customer_id: int | None = None, status: str | None = None, sku: str | None = None
    ) -> list[dict[str, Any]]:
        """List orders, newest first, optionally only a customer's, only in one status, or only
        those containing a product.

        Args:
            customer_id: Only this customer's orders.
            status: Only orders in this status: pending, paid, shipped, delivered or cancelled.
            sku: Only orders that contain this product.
        """
        if status is not None and status not in _STATUSES:
            raise ToolError(f"no status {status!r}; statuses: {', '.join(_STATUSES)}")
        if customer_id is not None:
            self._customer(customer_id)
        if sku is not None:
            self._product(sku)
        orders = self.query("SELECT * FROM orders ORDER BY placed_at DESC, id DESC")
        items = self.query(
            "SELECT oi.order_id, oi.sku, oi.quantity, p.name FROM order_items oi JOIN products p ON p.sku = oi.sku "
            "ORDER BY oi.order_id, oi.sku"
        )
        names = {c["id"]: c["name"] for c in self.query("SELECT id, name FROM customers")}
        by_order: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            by_order.setdefault(item["order_id"], []).append(
                {"sku": item["sku"], "name": item["name"], "quantity": item["quantity"]}
            )
        out = []
        for order in orders:
            lines = by_order.get(order["id"], [])
            if customer_id is not None and order["customer_id"] != customer_id:
                continue
            if status is not None and order["status"] != status:
                continue
            if sku is not None and all(line["sku"] != sku.strip().upper() for line in lines):
                continue
            out.append(
                {
                    "order_id": order["id"],
                    "customer_id": order["customer_id"],
                    "customer": names[order["customer_id"]],
                    "status": order["status"],
                    "placed_at": order["placed_at"],
                    "total_cents": order["total_cents"],
                    "items": lines,
                }
            )
        return out

    @world_tool
    def pay_order(self, order_id: int) -> dict[str, Any]:
        """Charge a pending order's total to the customer's saved card. The money is captured at
        once and this cannot be undone (only refunded).

        Args:
            order_id: The pending order to charge.
        """
        with self.transaction() as db:
            order = self._order(order_id)
            if order["status"] != "pending":
                raise ToolError(f"order {order_id} is {order['status']}, not pending; only pending orders are charged")
            customer = self._customer(order["customer_id"])
            if not customer["card_last4"]:
                raise ToolError(f"{customer['name']} has no saved card; the order cannot be charged")
            db.execute(
                "INSERT INTO payments (order_id, method, card_last4, captured_cents, refunded_cents, status, "
                "captured_at) VALUES (?, 'card', ?, ?, 0, 'captured', ?)",
                (order_id, customer["card_last4"], order["total_cents"], self._now()),
            )
            self.update(db, "orders", {"id": order_id}, {"status": "paid"})
            return self._order_view(order_id)

    @world_tool
    def cancel_order(self, order_id: int, reason: str) -> dict[str, Any]:
        """Cancel an order that has not shipped: its stock goes back on the shelf and, if it was
        paid, whatever is still captured is refunded in full.

        Args:
            order_id: The order to cancel.
            reason: Why, in a few words (kept on the order).
        """
        if not reason.strip():
            raise ToolError("give a reason for the cancellation")
        with self.transaction() as db:
            order = self._order(order_id)
            if order["status"] in ("shipped", "delivered"):
                raise ToolError(f"order {order_id} has already {order['status']}; refund it instead of cancelling")
            if order["status"] == "cancelled":
                raise ToolError(f"order {order_id} is already cancelled")
            for item in self.query("SELECT * FROM order_items WHERE order_id = ?", order_id):
                product = self._product(item["sku"])
                self.update(db, "products", {"sku": item["sku"]}, {"stock": product["stock"] + item["quantity"]})
            payment = self._payment(order_id)
            if payment is not None and payment["captured_cents"] > payment["refunded_cents"]:
                remaining = payment["captured_cents"] - payment["refunded_cents"]
                self._refund(db, order_id, payment, remaining, f"order cancelled: {reason.strip()}")
            self.update(db, "orders", {"id": order_id}, {"status": "cancelled", "cancel_reason": reason.strip()})
            return self._order_view(order_id)

    @world_tool
    def refund(self, order_id: int, amount_cents: int, reason: str) -> dict[str, Any]:
        """Refund money to the card an order was paid with (part or all of what is still captured).
        Refunds do not change the order's status or stock; use update_stock for returned goods.

        Args:
            order_id: The paid, shipped or delivered order.
            amount_cents: How much to refund, in cents (1800 = $18.00).
            reason: Why, in a few words.
        """
        if amount_cents <= 0:
            raise ToolError("amount_cents must be positive")
        if not reason.strip():
            raise ToolError("give a reason for the refund")
        with self.transaction() as db:
            self._order(order_id)
            payment = self._payment(order_id)
            if payment is None:
                raise ToolError(f"order {order_id} was never paid, so there is nothing to refund")
            refundable = payment["captured_cents"] - payment["refunded_cents"]
            if amount_cents > refundable:
                raise ToolError(
                    f"only {refundable} cents of order {order_id} can still be refunded "
                    f"({payment['captured_cents']} captured, {payment['refunded_cents']} already refunded)"
                )
            refund_id = self._refund(db, order_id, payment, amount_cents, reason.strip())
            view = self._order_view(order_id)
            return {
                "refund_id": refund_id,
                "order_id": order_id,
                "amount_cents": amount_cents,
                "payment": view["payment"],
            }

    @world_tool
    def update_shipping_address(
        self, order_id: int, line1: str, city: str, postal_code: str, country: str, line2: str = ""
    ) -> dict[str, Any]:
        """Change where an order that has not shipped yet will be sent.

        Args:
            order_id: The order (pending or paid).
            line1: Street and number.
            city: City (and state, where there is one).
            postal_code: Postal or ZIP code.
            country: Country name.
            line2: Flat, floor or c/o (optional).
        """
        fields = {"line1": line1, "city": city, "postal_code": postal_code, "country": country}
        empty = [name for name, value in fields.items() if not value.strip()]
        if empty:
            raise ToolError(f"the address needs {', '.join(empty)}")
        with self.transaction() as db:
            order = self._order(order_id)
            if order["status"] not in ("pending", "paid"):
                raise ToolError(f"order {order_id} is {order['status']}; only unshipped orders can be re-addressed")
            address = {
                "line1": line1.strip(),
                "line2": line2.strip(),
                "city": city.strip(),
                "postal_code": postal_code.strip(),
                "country": country.strip(),
            }
            self.update(db, "orders", {"id": order_id}, {"shipping_address": address})
            return self._order_view(order_id)

    # ---- helpers ----

    def _product(self, sku: str) -> dict[str, Any]:
        return self.one(
            "SELECT * FROM products WHERE sku = ?",
            sku.strip().upper(),
            missing=f"no product with SKU {sku!r}; search_products finds SKUs",
        )

    def _customer(self, customer_id: int) -> dict[str, Any]:
        return self.one(
            "SELECT * FROM customers WHERE id = ?",
            customer_id,
            missing=f"no customer {customer_id}; get_customer finds customers by name or email",
        )

    def _cart(self, customer_id: int) -> dict[str, Any]:
        self._customer(customer_id)
        return self.one("SELECT * FROM carts WHERE customer_id = ?", customer_id, missing="the customer has no cart")

    def _order(self, order_id: int) -> dict[str, Any]:
        return self.one("SELECT * FROM orders WHERE id = ?", order_id, missing=f"no order {order_id}")

    def _payment(self, order_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM payments WHERE order_id = ?", order_id)
        return rows[0] if rows else None

    def _refund(self, db: sqlite3.Connection, order_id: int, payment: dict[str, Any], amount: int, reason: str) -> int:
        refunded = payment["refunded_cents"] + amount
        status = "refunded" if refunded == payment["captured_cents"] else "partially_refunded"
        cursor = db.execute(
            "INSERT INTO refunds (order_id, payment_id, amount_cents, reason, created_at) VALUES (?, ?, ?, ?, ?)",
            (order_id, payment["id"], amount, reason, self._now()),
        )
        self.update(db, "payments", {"id": payment["id"]}, {"refunded_cents": refunded, "status": status})
        return int(cursor.lastrowid or 0)

    def _now(self) -> str:
        latest = self.query(
            "SELECT MAX(at) AS at FROM (SELECT placed_at AS at FROM orders UNION ALL "
            "SELECT captured_at AS at FROM payments UNION ALL SELECT created_at AS at FROM refunds)"
        )[0]["at"]
        moment = _START
        if latest:
            moment = max(moment, datetime.strptime(latest, "%Y-%m-%dT%H:%M:%SZ") + timedelta(minutes=1))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _customer_view(self, customer: dict[str, Any]) -> dict[str, Any]:
        in_cart = self.query(
            "SELECT COALESCE(SUM(ci.quantity), 0) AS n FROM cart_items ci JOIN carts c ON c.id = ci.cart_id "
            "WHERE c.customer_id = ?",
            customer["id"],
        )[0]["n"]
        return {
            "customer_id": customer["id"],
            "name": customer["name"],
            "email": customer["email"],
            "phone": customer["phone"],
            "address": customer["address"],
            "saved_card": f"card ending {customer['card_last4']}" if customer["card_last4"] else None,
            "items_in_cart": in_cart,
        }

    def _cart_view(self, customer_id: int) -> dict[str, Any]:
        lines = self.query(
            "SELECT ci.sku, p.name, ci.quantity, p.price_cents FROM cart_items ci JOIN carts c ON c.id = ci.cart_id "
            "JOIN products p ON p.sku = ci.sku WHERE c.customer_id = ? ORDER BY ci.sku",
            customer_id,
        )
        items = [
            {
                "sku": line["sku"],
                "name": line["name"],
                "quantity": line["quantity"],
                "unit_price_cents": line["price_cents"],
                "line_total_cents": line["price_cents"] * line["quantity"],
            }
            for line in lines
        ]
        subtotal = sum(item["line_total_cents"] for item in items)
        shipping = _shop_seed.shipping_for(subtotal) if items else 0
        return {
            "customer_id": customer_id,
            "items": items,
            "subtotal_cents": subtotal,
            "shipping_cents": shipping,
            "total_cents": subtotal + shipping,
        }

    def _order_view(self, order_id: int) -> dict[str, Any]:
        order = self._order(order_id)
        customer = self._customer(order["customer_id"])
        items = self.query(
            "SELECT oi.sku, p.name, oi.quantity, oi.unit_price_cents FROM order_items oi "
            "JOIN products p ON p.sku = oi.sku WHERE oi.order_id = ? ORDER BY oi.sku",
            order_id,
        )
        payment = self._payment(order_id)
        refunds = self.query("SELECT * FROM refunds WHERE order_id = ? ORDER BY id", order_id)
        return {
            "order_id": order["id"],
            "customer": {"customer_id": customer["id"], "name": customer["name"], "email": customer["email"]},
            "status": order["status"],
            "placed_at": order["placed_at"],
            "items": [{**item, "line_total_cents": item["unit_price_cents"] * item["quantity"]} for item in items],
            "subtotal_cents": order["subtotal_cents"],
            "shipping_cents": order["shipping_cents"],
            "total_cents": order["total_cents"],
            "shipping_address": order["shipping_address"],
            "shipped_at": order["shipped_at"],
            "tracking_number": order["tracking_number"],
            "cancel_reason": order["cancel_reason"],
            "payment": None
            if payment is None
            else {
                "payment_id": payment["id"],
                "card": f"card ending {payment['card_last4']}",
                "captured_cents": payment["captured_cents"],
                "refunded_cents": payment["refunded_cents"],
                "refundable_cents": payment["captured_cents"] - payment["refunded_cents"],
                "status": payment["status"],
            },
            "refunds": [
                {"refund_id": r["id"], "amount_cents": r["amount_cents"], "reason": r["reason"], "at": r["created_at"]}
                for r in refunds
            ],
        }


def _product_view(product: dict[str, Any]) -> dict[str, Any]:
    return {
        "sku": product["sku"],
        "name": product["name"],
        "category": product["category"],
        "price_cents": product["price_cents"],
        "stock": product["stock"],
    }


def _fold(text: str) -> str:
    """Lowercase without accents, so "tomas" finds "Tomás"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
