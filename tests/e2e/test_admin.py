"""The admin UI in a real browser, signed in through the cookie flow, against the real API."""

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import Api, axe_violations, recorder, shoot, sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-user-pass-1"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


def new_product(api: Api, **extra: Any) -> dict[str, Any]:
    body = {"sku": unique("E2E-"), "name": "E2E Gadget", "price": "10.00", "stock": 3}
    created: dict[str, Any] = api.post("/api/v1/products", {**body, **extra})
    return created


def user_with_role(api: Api, role: str, permissions: list[str]) -> str:
    found = api.role(role, permissions)
    email = f"{role.replace(' ', '-')}-{uuid.uuid4().hex[:6]}@example.com"
    api.user(email, PASSWORD, [found["id"]])
    return email


def test_wrong_password_shows_an_error_then_sign_in_survives_reload_and_sign_out(
    page: Page,
) -> None:
    page.goto("/admin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "sign-in")

    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")

    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert recorder(page).unexpected_errors(401) == []


def test_tabs_reloading_at_once_refresh_one_at_a_time_and_stay_signed_in(
    page: Page, context: BrowserContext
) -> None:
    sign_in(page)
    tabs = [page, context.new_page(), context.new_page()]
    for tab in tabs[1:]:
        tab.goto("/admin")
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()

    # Every tab presents the same rotating refresh cookie at once: without the shared
    # lock the second refresh would look like a stolen token and end the session.
    for tab in tabs:
        tab.evaluate("setTimeout(() => location.reload(), 0)")
    for tab in tabs:
        tab.wait_for_load_state()
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    tabs[0].reload()
    expect(tabs[0].get_by_role("button", name="Sign out")).to_be_visible()


def test_dashboard_charts_render_with_seeded_data(page: Page) -> None:
    sign_in(page)

    expect(page.get_by_role("heading", name="Production by status")).to_be_visible()
    expect(page.locator("#chart-production")).to_be_visible()
    expect(page.locator("#chart-quality")).to_be_visible()
    drawn = page.evaluate(
        "() => ['chart-production', 'chart-quality'].map((id) => {"
        " const chart = Chart.getChart(id);"
        " return chart ? chart.data.datasets[0].data.length : 0; })"
    )
    assert all(count > 0 for count in drawn)
    assert axe_violations(page) == []
    assert recorder(page).unexpected_errors() == []
    shoot(page, "dashboard")

    page.locator(".tile a", has_text="Products").click()
    expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()


def test_admin_fits_a_phone_screen(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= 390
    shoot(page, "dashboard-phone")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_create_product_with_a_field_error_then_edit_and_read_its_history(page: Page) -> None:
    sku = unique("E2E-NEW-")
    sign_in(page)
    page.get_by_role("link", name="Products", exact=True).first.click()
    page.get_by_role("link", name="New", exact=True).click()

    page.get_by_label("SKU").fill("!bad sku")
    page.get_by_label("Name").fill("E2E Widget")
    page.get_by_label("Price").fill("12.50")
    page.get_by_label("Stock").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-sku-error")).to_be_visible()
    expect(page.get_by_label("SKU")).to_have_attribute("aria-invalid", "true")
    shoot(page, "field-error")

    page.get_by_label("SKU").fill(sku)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(sku)

    page.get_by_label("Name").fill("E2E Widget Deluxe")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert axe_violations(page) == []
    shoot(page, "product")

    page.get_by_role("tab", name="History").click()
    timeline = page.get_by_role("list", name="History")
    expect(timeline).to_contain_text("update")
    expect(timeline).to_contain_text("E2E Widget Deluxe")
    expect(timeline).to_contain_text("admin@example.com")
    assert axe_violations(page) == []
    shoot(page, "history")
    assert recorder(page).unexpected_errors(422) == []


def test_a_stale_edit_shows_both_versions_and_reloads(page: Page, api: Api) -> None:
    product = new_product(api)
    sign_in(page)
    page.goto(f"/admin#/products/{product['id']}")
    expect(page.get_by_label("Name")).to_have_value("E2E Gadget")

    api.patch(f"/api/v1/products/{product['id']}", {"name": "Changed by a colleague"})
    page.get_by_label("Name").fill("My edit")
    page.get_by_role("button", name="Save").click()

    conflict = page.get_by_role("alert").filter(has_text="Someone else changed this record")
    expect(conflict).to_contain_text("My edit")
    expect(conflict).to_contain_text("Changed by a colleague")
    shoot(page, "conflict")
    conflict.get_by_role("button", name="Reload").click()
    expect(page.get_by_label("Name")).to_have_value("Changed by a colleague")
    assert recorder(page).unexpected_errors(412) == []


def test_csv_export_downloads_the_filtered_rows(page: Page, api: Api) -> None:
    category = unique("csv-").lower()
    for _ in range(3):
        new_product(api, category=category)
    sign_in(page)
    page.goto(f"/admin#/products?category={category}")
    expect(page.get_by_text("Page 1 of 1 · 3 records")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()

    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert {row["category"] for row in rows} == {category}


def test_viewer_sees_no_write_controls_and_manager_does(
    browser: Browser, server: str, api: Api
) -> None:
    product = new_product(api)
    viewer = user_with_role(api, "viewer", ["products:read"])
    manager = user_with_role(
        api, "manager", ["products:read", "products:create", "products:update", "products:delete"]
    )
    for email, may_write in ((viewer, False), (manager, True)):
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860})
        page = context.new_page()
        sign_in(page, email, PASSWORD)
        page.goto(f"/admin#/products/{product['id']}")
        expect(page.get_by_label("Name")).to_have_value("E2E Gadget")
        if may_write:
            expect(page.get_by_role("button", name="Save")).to_be_visible()
            expect(page.get_by_role("button", name="Delete")).to_be_visible()
            expect(page.get_by_label("Name")).to_be_enabled()
        else:
            expect(page.get_by_role("button", name="Save")).to_have_count(0)
            expect(page.get_by_role("button", name="Delete")).to_have_count(0)
            expect(page.get_by_label("Name")).to_be_disabled()
        page.goto("/admin#/products")
        expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
        expect(page.get_by_role("link", name="New", exact=True)).to_have_count(
            1 if may_write else 0
        )
        context.close()


def test_a_granted_permission_shows_after_a_reload_without_signing_in_again(
    browser: Browser, server: str, api: Api
) -> None:
    role = f"clerk-{uuid.uuid4().hex[:6]}"
    clerk = user_with_role(api, role, ["products:read"])
    clerk_context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860})
    clerk_page = clerk_context.new_page()
    sign_in(clerk_page, clerk, PASSWORD)
    clerk_page.goto("/admin#/products")
    expect(clerk_page.get_by_role("button", name="Export CSV")).to_be_visible()
    expect(clerk_page.get_by_role("link", name="New", exact=True)).to_have_count(0)

    admin_context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860})
    admin = admin_context.new_page()
    sign_in(admin)
    admin.goto(f"/admin#/roles?q={role}")
    admin.get_by_role("link", name=role).click()
    admin.get_by_label("products:create").check()
    shoot(admin, "role-permissions")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status")).to_contain_text("Saved")

    clerk_page.reload()
    expect(clerk_page.get_by_role("button", name="Sign out")).to_be_visible()
    clerk_page.goto("/admin#/products")
    expect(clerk_page.get_by_role("link", name="New", exact=True)).to_have_count(1)
    clerk_context.close()
    admin_context.close()


def test_batch_actions_and_an_inspection_update_the_batch_score(page: Page, api: Api) -> None:
    product = new_product(api)
    batch = api.post(
        "/api/v1/production/batches",
        {"batch_number": unique("BATCH-"), "product_id": product["id"], "quantity": 50},
    )
    doomed = api.post(
        "/api/v1/production/batches",
        {"batch_number": unique("BATCH-"), "product_id": product["id"], "quantity": 5},
    )
    sign_in(page)
    page.goto(f"/admin#/batches/{batch['id']}")

    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="Batch: in progress")).to_be_visible()
    page.get_by_role("link", name="Record inspection").click()
    page.get_by_label("Sample size").fill("50")
    page.get_by_label("Defects found").fill("1")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open the inspected batch").click()
    expect(page.get_by_test_id("quality-score")).to_have_text("98.00")
    shoot(page, "batch")
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("heading", name="Batch: completed")).to_be_visible()

    page.goto(f"/admin#/batches/{doomed['id']}")
    page.get_by_role("button", name="Fail").click()
    page.get_by_label("Failure reason").fill("Mould contamination")
    page.get_by_role("button", name="Confirm failure").click()
    expect(page.get_by_role("heading", name="Batch: failed")).to_be_visible()
    assert recorder(page).unexpected_errors() == []


def test_a_task_moves_along_its_allowed_states(page: Page, api: Api) -> None:
    me = api.get("/api/v1/auth/me")
    task = api.post("/api/v1/tasks", {"title": "E2E task", "assignee_id": me["id"]})
    sign_in(page)
    page.goto(f"/admin#/tasks/{task['id']}")

    page.get_by_role("button", name="Start work").click()
    expect(page.get_by_role("heading", name="Status: in progress")).to_be_visible()
    page.get_by_role("button", name="Mark done").click()

    expect(page.get_by_role("heading", name="Status: done")).to_be_visible()


def test_users_roles_and_sessions(page: Page, api: Api, server: str) -> None:
    email = user_with_role(api, "viewer", ["products:read"])
    Api(server, email, PASSWORD).close()  # a session to see and revoke
    user = api.get("/api/v1/users", q=email)["items"][0]
    sign_in(page)
    page.goto(f"/admin#/users/{user['id']}")

    expect(page.get_by_role("group", name="Roles")).to_be_visible()
    revoke = page.get_by_role("button", name="Revoke")
    expect(revoke.first).to_be_visible()
    count = revoke.count()
    assert axe_violations(page) == []
    shoot(page, "user")
    revoke.first.click()
    expect(page.get_by_role("button", name="Revoke")).to_have_count(count - 1)

    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("heading", name="Account: deactivated")).to_be_visible()


def test_audit_browser_filters_and_pages(page: Page, api: Api) -> None:
    new_product(api)
    sign_in(page)
    page.get_by_role("link", name="Audit").click()

    page.get_by_label("Entity").select_option("products")
    page.get_by_role("button", name="Apply").click()
    changes = page.get_by_role("list", name="Changes")
    expect(changes).to_contain_text("products")
    assert axe_violations(page) == []
    shoot(page, "audit")
    page.get_by_role("tab", name="Access").click()
    expect(page.get_by_role("columnheader", name="Path")).to_be_visible()
    older = page.get_by_role("button", name="Older")
    if older.is_enabled():
        older.click()
        expect(page.get_by_role("button", name="Newer")).to_be_enabled()
    assert recorder(page).unexpected_errors() == []


SCREENS = ("Products", "Customers", "Tasks", "Batches", "Inspections", "Users", "Roles", "Audit")


def test_every_screen_loads_cleanly_and_passes_axe(page: Page) -> None:
    sign_in(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_count(len(SCREENS) + 1)

    for name in SCREENS:
        nav.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(page.locator(".loading")).to_have_count(0)
        assert axe_violations(page) == [], name
        if name not in ("Audit",):
            page.locator("table.list tbody a").first.click()
            expect(page.get_by_role("tab", name="History")).to_be_visible()
            assert axe_violations(page) == [], f"{name} record"
    assert recorder(page).unexpected_errors() == []


def test_keyboard_users_can_skip_to_content_and_see_focus(page: Page) -> None:
    sign_in(page)
    expect(page.locator(".loading")).to_have_count(0)
    # A new screen focuses <main>, and blur() keeps Chromium's sequential-focus starting point
    # there; focusing <body> puts it at the top of the page, where a keyboard user begins.
    page.locator("body").evaluate(
        "b => { b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); }"
    )
    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.textContent")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused == "Skip to content"
    assert outline != "none"

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
